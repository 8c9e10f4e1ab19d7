/**
 * Numeric options are checked when a service or object is made, with a RangeError naming the
 * option (docs/sessions.md says so). An outside probe found serveRealm's failedTimeoutMs,
 * servePortal's checkerWithdrawnGraceMs and challenges.expiresInMs taking -1, NaN, 1.5 or "x".
 */
import { afterEach, describe, expect, it } from "vitest";
import { RemoteChecker, RemoteRealm, servePortal, serveRealm, SimpleRealm, TokenAuthority } from "../../actors/index.ts";
import { checkWholeNumber } from "../../actors/option-checks.ts";
import { createInProcessBus, type Bus } from "../../transports/index.ts";

const NONSENSE = [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "100"] as const;
const buses: Bus[] = [];
afterEach(async () => {
  for (const bus of buses.splice(0)) await bus.close();
});
const bus = () => {
  const b = createInProcessBus();
  buses.push(b);
  return b;
};
const KEY = new Uint8Array(32).fill(7);

describe("numeric options", () => {
  it.each(NONSENSE)("refuse %s with a RangeError naming the option, before anything is served", async (bad) => {
    const value = bad as number;
    const b = bus();
    const portal = (extra: object) => servePortal(b, { realm: new SimpleRealm(), discoverCheckers: false, ...extra });
    const cases: Array<[string, () => Promise<unknown>]> = [
      ["failedTimeoutMs", () => serveRealm(b, new SimpleRealm(), { name: "r", failedTimeoutMs: value })],
      ["mindLimits.burst", () => serveRealm(b, new SimpleRealm(), { name: "r", mindLimits: { burst: value } })],
      ["supervision.callWaitMs", () => portal({ supervision: { callWaitMs: value } })],
      ["checkerWithdrawnGraceMs", () => portal({ checkerWithdrawnGraceMs: value })],
      ["timeouts.checkMs", () => portal({ timeouts: { checkMs: value } })],
      ["timeouts.logoutMs", () => portal({ timeouts: { logoutMs: value } })],
      ["challenges.expiresInMs", () => portal({ challenges: { expiresInMs: value } })],
      ["challenges.queryTimeoutMs", () => portal({ challenges: { queryTimeoutMs: value } })],
      ["timeoutMs", async () => new RemoteRealm(b, "r", { timeoutMs: value })],
      ["timeoutMs", async () => new RemoteChecker(b, "c", ["username-password"], { timeoutMs: value })],
      ["ttlMs", async () => new TokenAuthority({ algorithm: "HS256", signingKey: KEY, verifyingKey: KEY, ttlMs: value })],
      ["clockSkewMs", async () => new TokenAuthority({ algorithm: "HS256", verifyingKey: KEY, clockSkewMs: value })],
    ];
    for (const [name, make] of cases) {
      const error = await make().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, name).toBeInstanceOf(RangeError);
      expect((error as Error).message, name).toContain(`${name} must be a whole number`);
    }
    // Nothing was left serving: the portal's login subject has no responder.
    await expect(b.request("cred.login", new Uint8Array(), { timeoutMs: 200 })).rejects.toThrow();
  });

  it("refuse a timer longer than Node takes (it would fire after 1 ms)", async () => {
    await expect(serveRealm(bus(), new SimpleRealm(), { name: "r", failedTimeoutMs: 2 ** 31 })).rejects.toThrow(RangeError);
  });

  it("take sensible values, and say what they got", () => {
    expect(() => checkWholeNumber("x", undefined, 1)).not.toThrow();
    expect(() => checkWholeNumber("x", 0, 0)).not.toThrow();
    expect(() => checkWholeNumber("x", 2 ** 31 - 1, 1)).not.toThrow();
    expect(() => checkWholeNumber("x", "5", 1)).toThrow('x must be a whole number from 1 to 2147483647, got "5"');
  });
});
