/**
 * Notifications published while a client is cut off from NATS are lost (core NATS keeps nothing
 * for a connection that is gone). Their `seq` numbers tell the Mind how many it missed: after the
 * reconnect it hears `{ event: "dropped", data: { count, cause: "lost" } }` before the next one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, InMemoryUsernamePasswordDatabaseDontUse, Portal, RemoteRealm, servePortal, serveRealm, UsernamePassword } from "../../actors/index.ts";
import type { Notification } from "../../actors/client/remote-session.ts";
import { connectNatsBus, type NatsBus } from "../../transports/index.ts";
import { e2eResources } from "../support/e2e-resources.ts";
import { startNatsServer, type NatsServerHandle } from "../support/nats-server.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";
import { TestRealm } from "../support/test-realm.ts";
import { sleep, waitFor } from "../support/wire.ts";

let server: NatsServerHandle;
let proxy: TcpProxy;
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await server?.stop();
});
const { stops, bus } = e2eResources(async () => {
  await proxy?.close();
});

const alice = () => new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" });

/** A bus that reaches NATS through a proxy the test can cut; `reconnected` resolves once it is back and its subscriptions are. */
async function cuttableBus(): Promise<{ cut: NatsBus; reconnected: () => Promise<void> }> {
  proxy = await startTcpProxy(server.port);
  const cut = await connectNatsBus({ servers: proxy.url, reconnectTimeWaitMs: 50 });
  stops.push(() => cut.close());
  let wake: (() => void) | undefined;
  cut.onConnectionChange!((connected) => {
    if (connected) wake?.();
  });
  return {
    cut,
    reconnected: async () => {
      await new Promise<void>((resolve) => (wake = resolve));
      // The subscriptions are sent again on reconnect: once the server answers a PING they are in place.
      await cut.flush();
    },
  };
}

/** A realm service (the avatars' notifications leave from its own connection) and what its avatars are. */
async function gameRealm(): Promise<TestRealm> {
  const realm = new TestRealm(["game"]);
  const service = await serveRealm(await bus(server.url), realm, { name: "game" });
  stops.push(() => service.stop());
  return realm;
}

/** Sends `texts` from the avatar while the connection is cut (after its server let go of it), then restores it and waits until it is back. */
async function loseWhileCut(realm: TestRealm, texts: string[], reconnected: () => Promise<void>): Promise<void> {
  const back = reconnected();
  proxy.cut();
  // The server forgets the connection's subscriptions once it sees the socket close.
  await sleep(200);
  for (const text of texts) realm.avatars[0]!.announce(text);
  proxy.restore();
  await back;
}

/** A client library session through a cuttable connection, its avatar in a realm service, whose first notification ("one") has arrived. */
async function clientSession() {
  const realm = await gameRealm();
  const portal = await servePortal(await bus(server.url), { realm: new RemoteRealm(await bus(server.url), "game"), checkers: [alice()] });
  stops.push(() => portal.close());
  const { cut, reconnected } = await cuttableBus();
  const seen: Notification[] = [];
  const session = await connect(cut).login(new UsernamePassword("alice", "secret"), { interfaces: ["game"], mind: (n) => void seen.push(n) });
  realm.avatars[0]!.announce("one");
  await waitFor(() => seen.length === 1);
  return { realm, session, seen, reconnected };
}

const events = (seen: Notification[]) => seen.map((n) => (n.event === "announce" ? (n.data as { text: string }).text : n));

describe("lost notifications", () => {
  it("tells a client library Mind how many notifications were lost while its connection was cut, before the next one", async () => {
    const { realm, session, seen, reconnected } = await clientSession();
    await loseWhileCut(realm, ["two", "three", "four"], reconnected);
    realm.avatars[0]!.announce("five");
    await waitFor(() => seen.length === 3);
    expect(events(seen)).toEqual(["one", { event: "dropped", data: { count: 3, cause: "lost" } }, "five"]);
    await session.logout();
  });

  it("tells a client library Mind how many of the last notifications before its logout were lost, from the number `ended` carries", async () => {
    const { realm, session, seen, reconnected } = await clientSession();
    await loseWhileCut(realm, ["two", "three"], reconnected);
    await session.logout();
    expect(await session.closed).toBe("logout");
    expect(events(seen)).toEqual(["one", { event: "dropped", data: { count: 2, cause: "lost" } }]);
  });

  it("tells a library-face Portal's own Mind, whose avatar lives in a realm service, how many were lost while the portal was cut off", async () => {
    const realm = await gameRealm();
    const { cut, reconnected } = await cuttableBus();
    const seen: Notification[] = [];
    const portal = new Portal(new RemoteRealm(cut, "game"), [alice()]);
    const mind = { notify: (event: string, data: unknown) => void seen.push({ event, data }) };
    const login = await portal.login(new UsernamePassword("alice", "secret"), mind, "game");
    realm.avatars[0]!.announce("one");
    await waitFor(() => seen.length === 1);
    await loseWhileCut(realm, ["two", "three"], reconnected);
    realm.avatars[0]!.announce("four");
    await waitFor(() => seen.length === 3);
    expect(events(seen)).toEqual(["one", { event: "dropped", data: { count: 2, cause: "lost" } }, "four"]);
    // Lost again, now just before the end: the realm's answer to the release says its last number.
    await loseWhileCut(realm, ["five"], reconnected);
    await login.logout();
    expect(events(seen).slice(3)).toEqual([{ event: "dropped", data: { count: 1, cause: "lost" } }]);
  });
});
