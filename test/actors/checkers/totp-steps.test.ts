/** Used TOTP steps shared between portals through JetStream KV, on a real nats-server. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TotpChecker, UsernamePasswordOtp } from "../../../actors/checkers/totp.ts";
import { MemoryTotpSteps, openKvTotpSteps, type TotpStepStore } from "../../../actors/checkers/totp-steps.ts";
import { LoginFailed, UnauthorizedLogin } from "../../../actors/errors.ts";
import { connectNatsBus, type NatsBus } from "../../../transports/nats.ts";
import { startNatsServer, type NatsServerHandle } from "../../support/nats-server.ts";

const SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const T = 1_111_111_109;
const now = () => T * 1000;
const code = "081804"; // RFC 6238 appendix B at T
const otp = (value: string) => new UsernamePasswordOtp("alice", "pw", value);
const outcome = (promise: Promise<unknown>) => promise.then((value) => value, (error: unknown) => error);

let server: NatsServerHandle;
let buses: NatsBus[] = [];
let buckets = 0;
const bucket = () => `totp_test_${process.pid}_${++buckets}`;

beforeAll(async () => {
  server = await startNatsServer();
  buses = await Promise.all([1, 2].map(() => connectNatsBus({ servers: server.url })));
});
afterAll(async () => {
  await Promise.all(buses.map((bus) => bus.close()));
  await server?.stop();
});

/** Two portals' TOTP checkers, each on its own connection, sharing one bucket. */
async function twoPortals(): Promise<[TotpChecker, TotpChecker]> {
  const name = bucket();
  const [a, b] = await Promise.all(buses.map((bus) => openKvTotpSteps(bus, { bucket: name, storage: "memory" })));
  return [new TotpChecker({ alice: SECRET }, { now, steps: a! }), new TotpChecker({ alice: SECRET }, { now, steps: b! })];
}

describe("TOTP steps shared through NATS KV", () => {
  it("refuses at a second portal a code already used at the first", async () => {
    const [a, b] = await twoPortals();
    expect(await a.requestAvatarId(otp(code))).toBe("alice");
    expect(await outcome(b.requestAvatarId(otp(code)))).toBeInstanceOf(UnauthorizedLogin);
  });

  it("lets exactly one of many logins racing with one code through, across two portals", async () => {
    const [a, b] = await twoPortals();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => outcome((i % 2 === 0 ? a : b).requestAvatarId(otp(code)))));
    expect(results.filter((r) => r === "alice")).toHaveLength(1);
    expect(results.filter((r) => r instanceof UnauthorizedLogin)).toHaveLength(11);
  });

  it("does not share between portals on separate buckets (the per-process default behaves the same)", async () => {
    const a = new TotpChecker({ alice: SECRET }, { now, steps: await openKvTotpSteps(buses[0]!, { bucket: bucket(), storage: "memory" }) });
    const b = new TotpChecker({ alice: SECRET }, { now, steps: new MemoryTotpSteps() });
    expect(await a.requestAvatarId(otp(code))).toBe("alice");
    expect(await b.requestAvatarId(otp(code))).toBe("alice");
  });
});

describe("TotpChecker with a step store that fails", () => {
  it("fails closed with LoginFailed, never as an accepted code", async () => {
    const down: TotpStepStore = {
      last: () => Promise.reject(new Error("kv down")),
      claim: () => Promise.reject(new Error("kv down")),
    };
    const claimDown: TotpStepStore = { last: () => undefined, claim: () => Promise.reject(new Error("kv down")) };
    for (const steps of [down, claimDown]) {
      const error = await outcome(new TotpChecker({ alice: SECRET }, { now, steps }).requestAvatarId(otp(code)));
      expect(error).toBeInstanceOf(LoginFailed);
      expect(error).not.toBeInstanceOf(UnauthorizedLogin);
      expect((error as Error).message).not.toMatch(/kv down/);
    }
  });
});
