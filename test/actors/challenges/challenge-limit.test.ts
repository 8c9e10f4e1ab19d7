/** `maxOpen`: how many challenges a portal instance holds, and what a client told to wait is told. */
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

async function start(challenges: { maxOpen: number; expiresInMs: number }) {
  bus = createInProcessBus();
  portal = await servePortal(bus, {
    realm: new SimpleRealm(),
    checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" }, { challenges: true })],
    challenges,
  });
}
const challenge = async () => parse(await bus.request("cred.challenge", json({ mechanism: "cram-md5" })));

it("refuses challenges beyond maxOpen with RateLimited, retryAfterMs being when the oldest expires", async () => {
  await start({ maxOpen: 3, expiresInMs: 5000 });
  for (let i = 0; i < 3; i++) expect(await challenge()).toMatchObject({ ok: true });
  await sleep(200);
  const refused = await challenge();
  expect(refused).toMatchObject({ ok: false, error: { code: "RateLimited" } });
  // Not a fixed second: no place frees before the oldest challenge expires (~4.8 s from now).
  expect(refused["error"]["retryAfterMs"]).toBeGreaterThan(4000);
  expect(refused["error"]["retryAfterMs"]).toBeLessThanOrEqual(5000);
});

it("frees the place of a challenge that expired", async () => {
  await start({ maxOpen: 2, expiresInMs: 300 });
  for (let i = 0; i < 2; i++) expect(await challenge()).toMatchObject({ ok: true });
  expect(await challenge()).toMatchObject({ ok: false, error: { code: "RateLimited", retryAfterMs: 1000 } });
  await sleep(450);
  expect(await challenge()).toMatchObject({ ok: true });
});
