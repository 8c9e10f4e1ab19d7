/**
 * A portal whose process stalls (SIGSTOP, a VM pause) must not end its sessions before the
 * requests that waited during the stall count, nor keep a dead client's session past the
 * protocol's 3 × heartbeatMs + 1 s.
 */
import { afterEach, expect, it } from "vitest";
import { InMemoryUsernamePasswordDatabaseDontUse, servePortal, SimpleRealm, type PortalService } from "../../../actors/index.ts";
import { createInProcessBus, type Bus } from "../../../transports/index.ts";
import { json, parse, sleep } from "../../support/wire.ts";

let bus: Bus;
let portal: PortalService;
afterEach(async () => {
  await portal.close();
  await bus.close();
});

const HEARTBEAT_MS = 100;

async function start(): Promise<void> {
  bus = createInProcessBus();
  // Sessions time out 2.5 × 100 ms = 250 ms after their last activity; the protocol's bound is 1,300 ms.
  portal = await servePortal(bus, { realm: new SimpleRealm(), checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" })], heartbeatMs: HEARTBEAT_MS });
}

async function login(): Promise<{ session: string; ended: Promise<{ reason: string; at: number }> }> {
  const mind = bus.inbox();
  const ended = new Promise<{ reason: string; at: number }>((resolve) =>
    bus.subscribe(mind, (m) => {
      const note = parse(m.data);
      if (note["type"] === "ended") resolve({ reason: note["reason"], at: performance.now() });
    }),
  );
  const reply = parse(await bus.request("cred.login", json({ credentials: { kind: "username-password", username: "alice", password: "pw" }, interfaces: ["echo"], mind })));
  expect(reply).toMatchObject({ ok: true });
  return { session: reply["session"], ended };
}

/** Blocks the event loop for `ms`, as a SIGSTOPped process is: timers expire meanwhile, nothing runs. */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

it("keeps a session whose request waited through a stall longer than its window, and still times it out afterwards", async () => {
  await start();
  const { session } = await login();
  // The session's timeout is then due 250 ms after this ping, inside the stall. (A sleep of 150 ms
  // after the login did that, until a loaded machine stretched it past the 250 ms themselves.)
  await sleep(50);
  expect(parse(await bus.request(`cred.session.${session}.ping`, json({})))).toEqual({ ok: true });
  // A ping that reached the process during the stall: it runs after it, in the same turn as the
  // session's expired timer (Node runs expired timers before it reads a socket).
  let pong: unknown;
  setTimeout(() => void bus.request(`cred.session.${session}.ping`, json({})).then((m) => (pong = parse(m))), 200);
  stall(600);
  await sleep(20);
  expect(pong).toEqual({ ok: true });
  expect(portal.sessions).toBe(1);
  // Left alone after that, it times out as usual.
  await sleep(700);
  expect(portal.sessions).toBe(0);
});

it("ends a session whose client went silent before the stall right after it, within the protocol's bound, not a whole window later", async () => {
  // An outside probe: a 0.6 s stall at 2.2 × heartbeatMs after the last activity gave every idle
  // session a new window, and `ended` came 1.1–1.5 s past 3 × heartbeatMs + 1 s.
  await start();
  const loggedInAt = performance.now();
  const { ended } = await login();
  await sleep(200);
  stall(600);
  const woke = performance.now();
  const end = await ended;
  expect(end.reason).toBe("timeout");
  // Held only a short grace (25 ms at this heartbeat) to read what waited, not 250 ms more.
  expect(end.at - woke).toBeLessThan(150);
  expect(end.at - loggedInAt).toBeLessThan(3 * HEARTBEAT_MS + 1000);
});
