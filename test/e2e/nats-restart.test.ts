/** A nats-server restart under live sessions: the portal, the realm service and the client reconnect, and the sessions go on. */
import { describe, expect, it } from "vitest";
import { connect, InMemoryUsernamePasswordDatabaseDontUse, RemoteRealm, servePortal, serveRealm, SimpleRealm, TokenAuthority, UsernamePassword } from "../../actors/index.ts";

const KEY = new TextEncoder().encode("a test key of at least thirty-two bytes!");
import { connectNatsBus, NoResponders } from "../../transports/index.ts";
import { e2eResources } from "../support/e2e-resources.ts";
import { startNatsServer, type NatsServerHandle } from "../support/nats-server.ts";
import { json, parse, sleep, waitFor } from "../support/wire.ts";

let server: NatsServerHandle | undefined;
const { stops, bus } = e2eResources(async () => {
  await server?.stop();
  server = undefined;
});

describe("a nats-server restart", () => {
  it("keeps the buses reconnecting however long NATS is away: back after an outage longer than nats.js's default 10 attempts", async () => {
    server = await startNatsServer();
    const { port } = server;
    const b = await bus(server.url);
    // Back within a quarter second of the server, not nats.js's 2 s: clients must not outrun the portal by long.
    expect((b.connection as unknown as { options: { reconnectTimeWait: number } }).options.reconnectTimeWait).toBe(250);
    let back = false;
    b.onConnectionChange!((connected) => void (back = connected));
    await server.stop();
    // 10 attempts 250 ms apart (plus jitter) are over well within 5 s: with nats.js's limit the bus would be closed by now.
    await sleep(5_000);
    server = await startNatsServer({ port });
    await waitFor(() => back, 5_000);
    await b.flush();
  }, 20_000);

  it("tells connection listeners when the connection is lost and when it is back", async () => {
    server = await startNatsServer();
    const { port } = server;
    const b = await bus(server.url);
    const heard: boolean[] = [];
    const stop = b.onConnectionChange!((connected) => void heard.push(connected));
    await server.stop();
    await waitFor(() => heard.length === 1, 5000);
    server = await startNatsServer({ port });
    await waitFor(() => heard.length === 2, 10_000);
    expect(heard).toEqual([false, true]);
    stop();
  }, 20_000);

  it("keeps live sessions: after the restart, calls reach the avatar in the realm service and logout runs once", async () => {
    server = await startNatsServer();
    const { url, port } = server;
    const realm = new SimpleRealm();
    const realms = await serveRealm(await bus(url), realm, { name: "game" });
    stops.push(() => realms.stop());
    const portal = await servePortal(await bus(url), {
      realm: new RemoteRealm(await bus(url), "game"),
      checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })],
      heartbeatMs: 15_000,
    });
    stops.push(() => portal.close());
    // Short request timeouts: a call sent in the instant before the portal resubscribed is lost.
    const client = connect(await bus(url, 1000));
    const session = await client.login(new UsernamePassword("alice", "secret"), { interfaces: ["echo"], mind: () => undefined });
    expect(await session.call("echo", "before")).toBe("before");

    await server.stop();
    await sleep(500);
    server = await startNatsServer({ port });
    // nats.js retries every 2 s; give every connection time to come back and resubscribe.
    let answer: unknown;
    for (let attempt = 0; attempt < 40 && answer === undefined; attempt++) {
      answer = await session.call("echo", "after").catch(() => undefined);
      if (answer === undefined) await sleep(250);
    }
    expect(answer).toBe("after");
    expect(portal.sessions).toBe(1);
    expect(realms.hosted).toBe(1);
    await session.logout();
    expect(await session.closed).toBe("logout");
    expect(realms.hosted).toBe(0);
  }, 30_000);

  it("ends an idle session within the protocol's bound even while NATS is down, and tells its Mind once back", async () => {
    // The contract bounds a silent session's life at 3 × heartbeatMs + 1 s after its last
    // activity, outage or not: an outside probe saw a 3 s outage keep such sessions 2 s past it.
    server = await startNatsServer();
    const { url, port } = server;
    const portalBus = await connectNatsBus({ servers: url, reconnectTimeWaitMs: 50 });
    const clientBus = await connectNatsBus({ servers: url, reconnectTimeWaitMs: 50, timeoutMs: 1000 });
    stops.push(() => clientBus.close(), () => portalBus.close());
    const portal = await servePortal(portalBus, {
      realm: new SimpleRealm(),
      checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })],
      // Sessions time out 2.5 × 200 ms = 500 ms after their last activity; the bound is 1,600 ms.
      heartbeatMs: 200,
    });
    stops.push(() => portal.close());
    const ended: string[] = [];
    let endedAt = 0;
    const mind = clientBus.inbox();
    clientBus.subscribe(mind, (m) => {
      const note = parse(m.data);
      if (note["type"] !== "ended") return;
      ended.push(note["reason"]);
      endedAt ||= performance.now();
    });
    let backAt = 0;
    portalBus.onConnectionChange!((connected) => void (connected && (backAt = performance.now())));
    await clientBus.flush();
    const loggedInAt = performance.now();
    const login = parse(await clientBus.request("cred.login", json({ credentials: { kind: "username-password", username: "alice", password: "secret" }, interfaces: ["echo"], mind })));
    expect(login).toMatchObject({ ok: true });
    await server.stop();
    await waitFor(() => portal.sessions === 0, 5_000);
    expect(performance.now() - loggedInAt).toBeLessThan(1_600);
    await sleep(1_000);
    server = await startNatsServer({ port });
    await waitFor(() => ended.length > 0, 10_000);
    expect(ended[0]).toBe("timeout");
    // Sent again 250 ms after the portal is back (and at 2 s): a client back with it hears its
    // end well before 2 s, which for a short heartbeat is past the protocol's bound (outside probe).
    expect(endedAt - backAt).toBeLessThan(1_500);
    // Over: SessionEnded while it lingers, no-responders after; never silence.
    const ping = await clientBus.request(`cred.session.${login["session"]}.ping`, json({})).then(
      (data) => parse(data)["error"]?.["code"],
      (error: unknown) => (error instanceof NoResponders ? "NoResponders" : String(error)),
    );
    expect(["SessionEnded", "NoResponders"]).toContain(ping);
  }, 30_000);

  it("keeps a session whose client is back before its portal: no-responders right after a reconnect is asked again, not taken for the end", async () => {
    server = await startNatsServer();
    const { url, port } = server;
    // The portal reconnects late (as after a long outage); the client at once.
    const portalBus = await connectNatsBus({ servers: url, reconnectTimeWaitMs: 2500 });
    const clientBus = await connectNatsBus({ servers: url, reconnectTimeWaitMs: 50, timeoutMs: 1000 });
    stops.push(() => clientBus.close(), () => portalBus.close());
    const portal = await servePortal(portalBus, {
      realm: new SimpleRealm(),
      checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })],
      heartbeatMs: 15_000,
    });
    stops.push(() => portal.close());
    const session = await connect(clientBus).login(new UsernamePassword("alice", "secret"), { interfaces: ["echo"], mind: () => undefined });
    const reconnected = new Promise<void>((resolve) => clientBus.onConnectionChange!((connected) => connected && resolve()));
    await server.stop();
    await sleep(300);
    server = await startNatsServer({ port });
    await reconnected;
    // The portal is not back yet: the first attempts find no responders, and are retried.
    expect(await session.call("echo", "after")).toBe("after");
    await session.logout();
    expect(await session.closed).toBe("logout");
  }, 30_000);

  it("sends a Mind the `ended` of a session that ended while NATS was down, once its client is back", async () => {
    // An outside probe: 20 of 20 sessions that timed out during an outage never told their Mind,
    // since the portal's buffered `ended` went out on reconnect before the client resubscribed.
    // A revocation made at the portal ends one during an outage (and so does the heartbeat rule).
    server = await startNatsServer();
    const { url, port } = server;
    const portalBus = await connectNatsBus({ servers: url, reconnectTimeWaitMs: 50 });
    // The client comes back a while after the portal.
    const clientBus = await connectNatsBus({ servers: url, reconnectTimeWaitMs: 1_000 });
    stops.push(() => clientBus.close(), () => portalBus.close());
    const portal = await servePortal(portalBus, {
      realm: new SimpleRealm(),
      checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })],
      heartbeatMs: 400,
      tokens: new TokenAuthority({ algorithm: "HS256", signingKey: KEY, verifyingKey: KEY }),
    });
    stops.push(() => portal.close());
    const ended: string[] = [];
    const mind = clientBus.inbox();
    clientBus.subscribe(mind, (m) => {
      const note = JSON.parse(new TextDecoder().decode(m.data)) as { type: string; reason?: string };
      if (note.type === "ended") ended.push(note.reason ?? "");
    });
    await clientBus.flush();
    const reply = JSON.parse(
      new TextDecoder().decode(
        await clientBus.request(
          "cred.login",
          new TextEncoder().encode(JSON.stringify({ credentials: { kind: "username-password", username: "alice", password: "secret" }, interfaces: ["echo"], mind, issueToken: true })),
        ),
      ),
    ) as { ok: boolean; token: string };
    expect(reply.ok).toBe(true);
    await server.stop();
    await sleep(300);
    await portal.tokens.revokeToken(reply.token).catch(() => undefined);
    await waitFor(() => portal.sessions === 0, 5_000);
    server = await startNatsServer({ port });
    await waitFor(() => ended.length > 0, 10_000);
    expect(ended[0]).toBe("revoked");
  }, 30_000);
});
