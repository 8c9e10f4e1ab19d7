/** A portal whose process stalls (SIGSTOP, a VM pause) must not end its sessions for the silence it caused itself. */
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

it("keeps a session through a stall of its process longer than the session's window, and still times it out afterwards", async () => {
  bus = createInProcessBus();
  // Sessions time out 2.5 × 100 ms = 250 ms after their last activity.
  portal = await servePortal(bus, { realm: new SimpleRealm(), checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" })], heartbeatMs: 100 });
  const login = parse(await bus.request("cred.login", json({ credentials: { kind: "username-password", username: "alice", password: "pw" }, interfaces: ["echo"] })));
  expect(login).toMatchObject({ ok: true });
  await sleep(150);
  // The event loop stops for 600 ms, as a SIGSTOPped process does: the session's timer expires meanwhile.
  const until = performance.now() + 600;
  while (performance.now() < until);
  await sleep(20);
  expect(portal.sessions).toBe(1);
  expect(parse(await bus.request(`cred.session.${login["session"]}.ping`, json({})))).toEqual({ ok: true });
  // Left alone after that, it times out as usual.
  await sleep(700);
  expect(portal.sessions).toBe(0);
});
