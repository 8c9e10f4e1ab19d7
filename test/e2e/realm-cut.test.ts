/**
 * A realm service, or a portal, cut off from NATS while the other processes stay connected (its
 * connection runs through a proxy that drops it). Over a real nats-server.
 */
import { describe, expect, it } from "vitest";
import { InMemoryUsernamePasswordDatabaseDontUse, RemoteRealm, servePortal, serveRealm } from "../../actors/index.ts";
import type { AvatarId } from "../../actors/checkers/checker.ts";
import type { LoginResult, Mind, Realm } from "../../actors/realm.ts";
import { NoResponders } from "../../transports/errors.ts";
import { e2eResources } from "../support/e2e-resources.ts";
import { startNatsServer, type NatsServerHandle } from "../support/nats-server.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";
import { json, parse, sleep, waitFor } from "../support/wire.ts";

/** An avatar that notifies its Mind every 20 ms (`tick`, numbered), and records when it did. */
class TickingRealm implements Realm {
  readonly ticks: Array<{ n: number; at: number }> = [];
  loggedOut = 0;

  requestAvatar(_avatarId: AvatarId, mind: Mind | null, ...interfaces: string[]): LoginResult {
    let n = 0;
    const timer = setInterval(() => {
      n++;
      this.ticks.push({ n, at: performance.now() });
      mind?.notify("tick", { n });
    }, 20);
    return {
      interface: interfaces[0]!,
      avatar: { perspective_echo: (x: unknown) => x },
      logout: () => {
        clearInterval(timer);
        this.loggedOut++;
      },
    };
  }
}

let server: NatsServerHandle | undefined;
let proxy: TcpProxy | undefined;
const resources = e2eResources(async () => {
  await proxy?.close();
  await server?.stop();
  server = undefined;
  proxy = undefined;
});
const { stops } = resources;
const bus = (url: string) => resources.bus(url, 3000);

/** A portal and a client on NATS directly, a realm service through the proxy; one live session with a Mind. */
async function setUp(portalGivesUpAfterMs: number) {
  server = await startNatsServer();
  proxy = await startTcpProxy(server.port);
  const realm = new TickingRealm();
  // The periodic reconciliation is far off: whatever happens here comes from the reconnect itself.
  const realms = await serveRealm(await bus(proxy.url), realm, { name: "game", reconcile: { everyMs: 600_000 } });
  stops.push(() => realms.stop());
  const portalBus = await bus(server.url);
  const portal = await servePortal(portalBus, {
    realm: new RemoteRealm(portalBus, "game", { instanceWatch: { checkEveryMs: 100, confirmMs: portalGivesUpAfterMs } }),
    checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })],
    heartbeatMs: 60_000,
    // Ended sessions get no-responders at once: a reply could then only come from the realm.
    endedLingerMs: 0,
  });
  stops.push(() => portal.close());
  const client = await bus(server.url);
  const mind = client.inbox();
  const heard: Array<{ type: string; n?: number; reason?: string; at: number }> = [];
  client.subscribe(mind, (m) => {
    const body = parse(m.data);
    heard.push({ type: body["type"], n: body["data"]?.n, reason: body["reason"], at: performance.now() });
  });
  await client.flush();
  const reply = parse(
    await client.request("cred.login", json({ credentials: { kind: "username-password", username: "alice", password: "secret" }, interfaces: ["echo"], mind })),
  );
  expect(reply).toMatchObject({ ok: true });
  await waitFor(() => heard.length >= 3);
  return { realm, realms, portal, client, session: reply["session"] as string, heard, proxy };
}

describe("a realm service cut off from NATS", () => {
  it("says nothing to a Mind after the portal's `ended`, and lets go of the avatar as soon as it is back", async () => {
    const { realm, realms, client, session, heard, proxy } = await setUp(500);
    proxy.cut();
    // The portal takes the realm process for gone and ends the session.
    await waitFor(() => heard.some((m) => m.type === "ended"), 5000);
    expect(heard.find((m) => m.type === "ended")?.reason).toBe("avatar-failed");
    await sleep(300); // the avatar goes on ticking in the cut-off process
    proxy.restore();
    // nats.js retries every 2 s; the reconnect asks the portal and releases the avatar.
    await waitFor(() => realms.hosted === 0, 8000);
    expect(realm.loggedOut).toBe(1);
    await sleep(200);
    expect(heard[heard.length - 1]).toMatchObject({ type: "ended", reason: "avatar-failed" });
    await expect(client.request(`cred.session.${session}.call`, json({ method: "echo", args: [1] }), { timeoutMs: 2000 })).rejects.toBeInstanceOf(NoResponders);
  }, 20_000);

  it("keeps a session its portal did not give up on, and delivers the notifications held while cut off, in order", async () => {
    const { realm, realms, portal, client, session, heard, proxy } = await setUp(60_000);
    const cutAt = performance.now();
    proxy.cut();
    await sleep(400);
    const restoredAt = performance.now();
    proxy.restore();
    // Made well inside the cut (the process knew it was cut off): each must reach the Mind.
    const madeWhileCut = realm.ticks.filter((t) => t.at > cutAt + 100 && t.at < restoredAt).map((t) => t.n);
    expect(madeWhileCut.length).toBeGreaterThan(5);
    await waitFor(() => heard.some((m) => m.n === madeWhileCut[madeWhileCut.length - 1]), 8000);
    const numbers = heard.map((m) => m.n!);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(madeWhileCut.filter((n) => !numbers.includes(n))).toEqual([]);
    expect(heard.some((m) => m.type === "ended")).toBe(false);
    expect(parse(await client.request(`cred.session.${session}.call`, json({ method: "echo", args: ["still"] })))).toEqual({ ok: true, result: "still" });
    expect(realms.hosted).toBe(1);
    expect(portal.sessions).toBe(1);
  }, 20_000);
});

describe("a portal cut off from NATS", () => {
  it("asks its realm services at once when it is back, and ends the sessions whose avatars they let go of meanwhile", async () => {
    server = await startNatsServer();
    proxy = await startTcpProxy(server.port);
    const realm = new TickingRealm();
    // The realm takes a silent portal for gone after 0.5 s and logs its avatars out.
    const realms = await serveRealm(await bus(server.url), realm, { name: "game", portalWatch: { checkEveryMs: 100, confirmMs: 500 } });
    stops.push(() => realms.stop());
    const portalBus = await bus(proxy.url);
    const portal = await servePortal(portalBus, {
      // Its periodic question is far off: only the reconnect can settle this.
      realm: new RemoteRealm(portalBus, "game", { reconcile: { everyMs: 600_000 } }),
      checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })],
      heartbeatMs: 60_000,
    });
    stops.push(() => portal.close());
    const client = await bus(server.url);
    const mind = client.inbox();
    const ended: string[] = [];
    client.subscribe(mind, (m) => {
      const body = parse(m.data);
      if (body["type"] === "ended") ended.push(body["reason"]);
    });
    await client.flush();
    const reply = parse(
      await client.request("cred.login", json({ credentials: { kind: "username-password", username: "alice", password: "secret" }, interfaces: ["echo"], mind })),
    );
    expect(reply).toMatchObject({ ok: true });
    proxy.cut();
    await waitFor(() => realms.hosted === 0, 5000);
    expect(realm.loggedOut).toBe(1);
    expect(portal.sessions).toBe(1);
    // The realm, taking the portal for dead, tells the Mind itself: nobody else could.
    await waitFor(() => ended.length === 1);
    expect(ended).toEqual(["avatar-failed"]);
    proxy.restore();
    await waitFor(() => portal.sessions === 0, 8000);
    // The portal was only cut off: back, it ends the session and says so again, with the same
    // reason (docs/sessions.md: a second `ended` is a repeat).
    await waitFor(() => ended.length === 2);
    expect(ended).toEqual(["avatar-failed", "avatar-failed"]);
  }, 20_000);
});
