/** A checker the portal dropped for having no responders is used again once it is back, whether or not it announces again. */
import { afterEach, beforeEach, expect, it } from "vitest";
import { serveChecker, servePortal, SimpleRealm, type PortalService } from "../../../actors/index.ts";
import { connectNatsBus, type Bus } from "../../../transports/index.ts";
import { startNatsServer, type NatsServerHandle } from "../../support/nats-server.ts";
import { startTcpProxy, type TcpProxy } from "../../support/tcp-proxy.ts";
import { json, parse, sleep, waitFor } from "../../support/wire.ts";

let server: NatsServerHandle;
let proxy: TcpProxy | undefined;
let buses: Bus[];
let portal: PortalService;

const bus = async (url = server.url) => {
  const b = await connectNatsBus({ servers: url });
  buses.push(b);
  return b;
};
const login = async (client: Bus) =>
  parse(await client.request("cred.login", json({ credentials: { kind: "username-password", username: "alice", password: "pw" }, interfaces: ["echo"] }), { timeoutMs: 15_000 }));

beforeEach(async () => {
  server = await startNatsServer();
  buses = [];
  portal = await servePortal(await bus(), { realm: new SimpleRealm(), rateLimiter: null });
});
afterEach(async () => {
  await portal.close();
  for (const b of buses) await b.close();
  await proxy?.close();
  proxy = undefined;
  await server.stop();
});

it("uses a checker again after its connection was cut while it held a check, which announces itself again on reconnecting", async () => {
  proxy = await startTcpProxy(server.port);
  let delayMs = 1500;
  const checker = {
    credentialKinds: ["username-password"],
    requestAvatarId: async () => {
      await sleep(delayMs);
      return "alice";
    },
  };
  const service = await serveChecker(await bus(proxy.url), checker, { name: "flaky" });
  await sleep(50);
  const client = await bus();
  const announced: string[] = [];
  client.subscribe("cred.checkers.announce", (m) => void announced.push(parse(m.data)["name"]));
  await client.flush();
  const inFlight = login(client);
  await sleep(200);
  proxy.cut();
  // The probe finds nobody serving it: the portal drops it, and the login has nowhere to go.
  expect((await inFlight)["error"]).toMatchObject({ code: "LoginFailed" });
  expect(portal.portal.listCredentialsKinds()).not.toContain("username-password");
  proxy.restore();
  delayMs = 0;
  await waitFor(() => portal.portal.listCredentialsKinds().includes("username-password"), 10_000);
  expect(await login(client)).toMatchObject({ ok: true, avatarId: "alice" });
  await waitFor(() => announced.includes("flaky"), 10_000);
  await service.stop();
}, 30_000);

it("looks again, with discover, for a checker built from PROTOCOL.md alone that came back without announcing", async () => {
  const checkerBus = await bus();
  const serve = () => checkerBus.subscribe("cred.checker.plain", (m) => void m.respond(json({ ok: true, avatarId: "alice" })));
  checkerBus.subscribe("cred.checkers.discover", (m) => void m.respond(json({ name: "plain", kinds: ["username-password"] })));
  let serving = serve();
  await checkerBus.flush();
  checkerBus.publish("cred.checkers.announce", json({ name: "plain", kinds: ["username-password"] }));
  await sleep(50);
  const client = await bus();
  expect(await login(client)).toMatchObject({ ok: true });
  // Gone a moment (its check subject unsubscribed), then back, saying nothing.
  serving.unsubscribe();
  await checkerBus.flush();
  expect((await login(client))["error"]).toMatchObject({ code: "LoginFailed" });
  serving = serve();
  await checkerBus.flush();
  await waitFor(() => portal.portal.listCredentialsKinds().includes("username-password"), 8_000);
  expect(await login(client)).toMatchObject({ ok: true, avatarId: "alice" });
}, 20_000);
