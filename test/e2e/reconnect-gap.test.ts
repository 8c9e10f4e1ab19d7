/**
 * Logins in the moment after a nats-server restart, when the processes are back one by one: a
 * service whose process has not reconnected yet is waited for (asked again for a few seconds
 * after one's own reconnect), not reported as gone. Each test holds one process back with a long
 * reconnect wait, and checks that it was still away when the login was sent.
 */
import { describe, expect, it } from "vitest";
import {
  connect,
  InMemoryUsernamePasswordDatabaseDontUse,
  LoginFailed,
  loginWithChallenge,
  RemoteChecker,
  RemoteRealm,
  ScramChecker,
  servePortal,
  serveChecker,
  serveRealm,
  SimpleRealm,
  UsernamePassword,
} from "../../actors/index.ts";
import { connectNatsBus, type NatsBus } from "../../transports/index.ts";
import { RECONNECT_GRACE_MS } from "../../transports/reconnect-clock.ts";
import { e2eResources } from "../support/e2e-resources.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";
import { startNatsServer, type NatsServerHandle } from "../support/nats-server.ts";
import { sleep, waitFor } from "../support/wire.ts";

let server: NatsServerHandle | undefined;
const proxies: TcpProxy[] = [];
const { stops } = e2eResources(async () => {
  for (const proxy of proxies.splice(0)) await proxy.close();
  await server?.stop();
  server = undefined;
});

/** A bus of its own, closed after the test; `back` tells whether it has reconnected since the last restart. */
async function busFor(url: string, reconnectTimeWaitMs: number): Promise<NatsBus & { back(): boolean; reconnected(): Promise<void> }> {
  const b = await connectNatsBus({ servers: url, reconnectTimeWaitMs, timeoutMs: 15_000 });
  stops.push(() => b.close());
  let back = false;
  let wake: (() => void) | undefined;
  b.onConnectionChange!((connected) => {
    back = connected;
    if (connected) wake?.();
  });
  return Object.assign(b, {
    back: () => back,
    reconnected: () => (back ? Promise.resolve() : new Promise<void>((resolve) => (wake = resolve))),
  });
}

/** Stops nats-server and starts it again on the same port after `downMs`. */
async function restart(downMs = 300): Promise<void> {
  const { port } = server!;
  await server!.stop();
  await sleep(downMs);
  server = await startNatsServer({ port });
}

const alice = () => new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" });
const aliceLogin = () => new UsernamePassword("alice", "secret");

/**
 * A checker service ("memory", alice's password), a portal that discovers it and a client, each on
 * a bus of its own, reaching NATS at the URL given with its reconnect wait; after one login.
 */
async function checkerPortalClient(checkerAt: readonly [string, number], portalAt: readonly [string, number]) {
  const checkerBus = await busFor(...checkerAt);
  const portalBus = await busFor(...portalAt);
  const clientBus = await busFor(server!.url, 50);
  const checkers = await serveChecker(checkerBus, alice(), { name: "memory" });
  stops.push(() => checkers.stop());
  const portal = await servePortal(portalBus, { realm: new SimpleRealm(), checkers: [] });
  stops.push(() => portal.close());
  const client = connect(clientBus);
  await (await client.login(aliceLogin(), { interfaces: ["echo"] })).logout();
  return { checkerBus, portalBus, clientBus, portal, client };
}

describe("logins in the moment after a nats-server restart", () => {
  it("waits for a checker whose process is not back yet instead of answering 'no checker available'", async () => {
    server = await startNatsServer();
    const { checkerBus, portalBus, clientBus, client } = await checkerPortalClient([server.url, 1500], [server.url, 50]);

    await restart();
    await Promise.all([portalBus.reconnected(), clientBus.reconnected()]);
    expect(checkerBus.back()).toBe(false);
    const session = await client.login(new UsernamePassword("alice", "secret"), { interfaces: ["echo"] });
    expect(checkerBus.back()).toBe(true);
    expect(session.avatarId).toBe("alice");
    await session.logout();
  }, 30_000);

  it("waits for a realm whose process is not back yet instead of answering 'realm is unavailable'", async () => {
    server = await startNatsServer();
    const realmBus = await busFor(server.url, 1500);
    const portalBus = await busFor(server.url, 50);
    const clientBus = await busFor(server.url, 50);
    const realms = await serveRealm(realmBus, new SimpleRealm(), { name: "game" });
    stops.push(() => realms.stop());
    const portal = await servePortal(portalBus, { realm: new RemoteRealm(portalBus, "game"), checkers: [alice()] });
    stops.push(() => portal.close());
    const client = connect(clientBus);

    await restart();
    await Promise.all([portalBus.reconnected(), clientBus.reconnected()]);
    expect(realmBus.back()).toBe(false);
    const session = await client.login(new UsernamePassword("alice", "secret"), { interfaces: ["echo"] });
    expect(realmBus.back()).toBe(true);
    expect(await session.call("echo", "hi")).toBe("hi");
    expect(realms.hosted).toBe(1);
    await session.logout();
    expect(realms.hosted).toBe(0);
  }, 30_000);

  it("waits for a scram-sha-256 checker whose process is not back yet before asking it the challenge query", async () => {
    server = await startNatsServer();
    const checkerBus = await busFor(server.url, 1500);
    const portalBus = await busFor(server.url, 50);
    const clientBus = await busFor(server.url, 50);
    const scram = new ScramChecker();
    scram.addUser("alice", "secret");
    const checkers = await serveChecker(checkerBus, scram, { name: "scram" });
    stops.push(() => checkers.stop());
    const portal = await servePortal(portalBus, { realm: new SimpleRealm(), checkers: [] });
    stops.push(() => portal.close());
    await waitFor(() => portal.portal.listCredentialsKinds().includes("scram-sha-256"), 5000);

    await restart();
    await Promise.all([portalBus.reconnected(), clientBus.reconnected()]);
    expect(checkerBus.back()).toBe(false);
    const session = await loginWithChallenge(clientBus, "scram-sha-256", { username: "alice", password: "secret" }, { interfaces: ["echo"] });
    expect(session.avatarId).toBe("alice");
    await session.logout();
  }, 30_000);

  it("lets a client back before its portal log in (and ask for a challenge) instead of answering 'no portal is serving'", async () => {
    server = await startNatsServer();
    const portalBus = await busFor(server.url, 1500);
    const clientBus = await busFor(server.url, 50);
    const portal = await servePortal(portalBus, {
      realm: new SimpleRealm(),
      checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" }, { challenges: true })],
    });
    stops.push(() => portal.close());
    const client = connect(clientBus);

    await restart();
    await clientBus.reconnected();
    expect(portalBus.back()).toBe(false);
    const challenge = await client.requestChallenge({ mechanism: "cram-md5" });
    expect(portalBus.back()).toBe(true);
    expect(challenge).toMatchObject({ ok: true, challenge: expect.any(String) });

    await restart();
    await clientBus.reconnected();
    expect(portalBus.back()).toBe(false);
    const session = await client.login(new UsernamePassword("alice", "secret"), { interfaces: ["echo"] });
    expect(session.avatarId).toBe("alice");
    await session.logout();
  }, 30_000);

  it("finds a checker it dropped around its own outage as soon as it is back, not at the next 5 s round", async () => {
    server = await startNatsServer();
    const checkerProxy = await startTcpProxy(server.port);
    const portalProxy = await startTcpProxy(server.port);
    proxies.push(checkerProxy, portalProxy);
    const { checkerBus, portalBus, portal, client } = await checkerPortalClient([checkerProxy.url, 50], [portalProxy.url, 50]);

    // The checker's connection goes first: a login meets no-responders, and the portal drops it.
    checkerProxy.cut();
    await expect(client.login(new UsernamePassword("alice", "secret"), { interfaces: ["echo"] })).rejects.toThrow(/no checker available/);
    // Its look for the checker a second later finds nobody either; then the portal's own
    // connection goes, and the checker announces itself back while the portal cannot hear it.
    await sleep(1500);
    portalProxy.cut();
    checkerProxy.restore();
    await checkerBus.reconnected();
    await sleep(200);
    portalProxy.restore();
    await portalBus.reconnected();
    // Registered again by the portal's own discover after its reconnect, before any login asks.
    await waitFor(() => portal.portal.listCredentialsKinds().includes("username-password"), 1000);
    await sleep(750);
    const session = await client.login(new UsernamePassword("alice", "secret"), { interfaces: ["echo"] });
    expect(session.avatarId).toBe("alice");
    await session.logout();
  }, 30_000);

  it("has a login wait, within the grace after the portal's reconnect, for a dropped checker to come back", async () => {
    server = await startNatsServer();
    const checkerProxy = await startTcpProxy(server.port);
    const portalProxy = await startTcpProxy(server.port);
    proxies.push(checkerProxy, portalProxy);
    const { checkerBus, portalBus, client } = await checkerPortalClient([checkerProxy.url, 50], [portalProxy.url, 50]);
    checkerProxy.cut();
    await expect(client.login(aliceLogin(), { interfaces: ["echo"] })).rejects.toThrow(/no checker available/);
    // The portal's own connection blips; the checker is still away when the next login comes.
    portalProxy.cut();
    portalProxy.restore();
    await portalBus.reconnected();
    // Its subscriptions are back at the server once a PING sent after them is answered.
    await portalBus.flush();
    expect(checkerBus.back()).toBe(false);
    const login = client.login(aliceLogin(), { interfaces: ["echo"] });
    await sleep(500);
    checkerProxy.restore();
    const session = await login;
    expect(session.avatarId).toBe("alice");
    await session.logout();
  }, 30_000);

  it("sends a check again when its answer was lost with the portal's connection, instead of waiting out the timeout", async () => {
    server = await startNatsServer();
    const portalProxy = await startTcpProxy(server.port);
    proxies.push(portalProxy);
    const checkerBus = await busFor(server.url, 50);
    const portalBus = await busFor(portalProxy.url, 50);
    let checks = 0;
    const slow = {
      credentialKinds: ["username-password"],
      requestAvatarId: async () => {
        checks++;
        await sleep(300);
        return "alice";
      },
    };
    const checkers = await serveChecker(checkerBus, slow, { name: "slow" });
    stops.push(() => checkers.stop());
    const remote = new RemoteChecker(portalBus, "slow", ["username-password"], { timeoutMs: 5000 });
    const startedAt = performance.now();
    const checked = remote.requestAvatarId(new UsernamePassword("alice", "secret"));
    // The portal's connection drops while the checker works; its answer goes out to nobody.
    await sleep(100);
    portalProxy.cut();
    await sleep(400);
    portalProxy.restore();
    expect(await checked).toBe("alice");
    expect(checks).toBe(2);
    expect(performance.now() - startedAt).toBeLessThan(3000);
  }, 30_000);

  it("still fails, within the grace and with 'try again', when the checker never comes back", async () => {
    server = await startNatsServer();
    const { checkerBus, portalBus, clientBus, client } = await checkerPortalClient([server.url, 50], [server.url, 50]);
    // Killed during the outage: its connection is gone without a withdrawal.
    const { port } = server;
    await server.stop();
    await checkerBus.close();
    server = await startNatsServer({ port });
    await Promise.all([portalBus.reconnected(), clientBus.reconnected()]);
    const sentAt = performance.now();
    const failed = await client.login(new UsernamePassword("alice", "secret"), { interfaces: ["echo"] }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(LoginFailed);
    expect((failed as Error).message).toMatch(/try again/);
    expect(performance.now() - sentAt).toBeLessThan(RECONNECT_GRACE_MS + 1000);
  }, 30_000);
});
