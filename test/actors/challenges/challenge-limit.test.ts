/**
 * `maxOpen`: how many challenges a portal instance holds. At the cap a new challenge ends the
 * oldest one still waiting for its answer, so a client that asks and never answers cannot lock
 * others out; only when every open challenge is being checked does a client get `RateLimited`.
 */
import { afterEach, expect, it } from "vitest";
import {
  cramMD5Response,
  InMemoryUsernamePasswordDatabaseDontUse,
  servePortal,
  SimpleRealm,
  type Checker,
  type Credentials,
  type PortalService,
} from "../../../actors/index.ts";
import { createInProcessBus, type Bus } from "../../../transports/index.ts";
import { captureLogs } from "../../support/capture-logs.ts";
import { json, parse, sleep } from "../../support/wire.ts";

let bus: Bus;
let portal: PortalService;
afterEach(async () => {
  await portal.close();
  await bus.close();
});

async function start(challenges: { maxOpen: number; expiresInMs: number }, checker?: Checker) {
  const logs = captureLogs("warn");
  bus = createInProcessBus();
  portal = await servePortal(bus, {
    realm: new SimpleRealm(),
    checkers: [checker ?? new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" }, { challenges: true })],
    challenges,
    logger: logs.logger,
  });
  return logs.lines;
}
const challenge = async () => parse(await bus.request("cred.challenge", json({ mechanism: "cram-md5" })));
async function answer(issued: Record<string, any>, password = "pw") {
  const body = { username: "alice", response: cramMD5Response(password, issued["challenge"]), interfaces: ["echo"] };
  try {
    return parse(await bus.request(`cred.challenge.${issued["id"]}`, json(body), { timeoutMs: 2000 }));
  } catch (error) {
    return { ok: false, error: { code: (error as Error).name } };
  }
}

it("ends the oldest unanswered challenge to make room at maxOpen, and says so once in the log", async () => {
  const logs = await start({ maxOpen: 3, expiresInMs: 5000 });
  const first = await challenge();
  const others = [await challenge(), await challenge()];
  const newest = await challenge();
  expect(newest).toMatchObject({ ok: true });
  expect(await challenge()).toMatchObject({ ok: true });
  expect(portal.challenges).toBe(3);
  // The oldest is gone: its answer gets no session (no responder, or UnauthorizedLogin while it drains).
  expect(["NoResponders", "UnauthorizedLogin"]).toContain((await answer(first))["error"]?.["code"]);
  // The second oldest was ended by the fifth request; the third is still open.
  expect(["NoResponders", "UnauthorizedLogin"]).toContain((await answer(others[0]!))["error"]?.["code"]);
  expect(await answer(others[1]!)).toMatchObject({ ok: true, avatarId: "alice" });
  expect(await answer(newest)).toMatchObject({ ok: true, avatarId: "alice" });
  const warnings = logs.filter((line) => line.includes("challenges-full"));
  expect(warnings).toHaveLength(1);
  expect(JSON.parse(warnings[0]!)).toMatchObject({ maxOpen: 3 });
});

it("lets an honest client log in by challenge while another floods P.challenge and never answers", async () => {
  await start({ maxOpen: 20, expiresInMs: 60_000 });
  const honest: Record<string, any>[] = [];
  let flooded = 0;
  // 10 unanswered challenges between each honest request and its answer; 300 in all, 15× maxOpen.
  for (let round = 0; round < 30; round++) {
    const issued = round % 6 === 0 ? await challenge() : undefined;
    const flood = await Promise.all(Array.from({ length: 10 }, () => challenge()));
    flooded += flood.filter((reply) => reply["ok"] === true).length;
    if (issued !== undefined) honest.push(await answer(issued));
  }
  expect(flooded).toBe(300);
  expect(portal.challenges).toBe(20);
  expect(honest).toEqual(Array.from({ length: 5 }, () => expect.objectContaining({ ok: true, avatarId: "alice" })));
});

it("refuses with RateLimited only while every open challenge is being checked, retryAfterMs being when the oldest expires", async () => {
  const database = new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" }, { challenges: true });
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const slow: Checker = {
    credentialKinds: database.credentialKinds,
    requestAvatarId: async (credentials: Credentials) => {
      await held;
      return database.requestAvatarId(credentials);
    },
  };
  await start({ maxOpen: 2, expiresInMs: 5000 }, slow);
  const issued = [await challenge(), await challenge()];
  const answers = issued.map((i) => answer(i));
  await sleep(200);
  const refused = await challenge();
  expect(refused).toMatchObject({ ok: false, error: { code: "RateLimited" } });
  expect(refused["error"]["retryAfterMs"]).toBeGreaterThan(4000);
  expect(refused["error"]["retryAfterMs"]).toBeLessThanOrEqual(5000);
  release();
  expect(await Promise.all(answers)).toEqual([expect.objectContaining({ ok: true }), expect.objectContaining({ ok: true })]);
  expect(await challenge()).toMatchObject({ ok: true });
});

it("frees the place of a challenge that expired", async () => {
  await start({ maxOpen: 2, expiresInMs: 300 });
  for (let i = 0; i < 2; i++) expect(await challenge()).toMatchObject({ ok: true });
  await sleep(450);
  expect(portal.challenges).toBe(0);
  expect(await challenge()).toMatchObject({ ok: true });
});
