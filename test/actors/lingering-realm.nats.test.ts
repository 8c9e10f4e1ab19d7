/** PB semantics over a real nats-server: an avatar outlives one connection, and a token reconnect gets it back. */
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  connect,
  InMemoryUsernamePasswordDatabaseDontUse,
  LingeringRealm,
  servePortal,
  TokenAuthority,
  TokenCredentials,
  UsernamePassword,
  type AvatarId,
  type LoginResult,
  type Mind,
  type PortalService,
  type Realm,
} from "../../actors/index.ts";
import { connectNatsBus, type NatsBus } from "../../transports/index.ts";
import { startNatsServer, type NatsServerHandle } from "../support/nats-server.ts";

class Counter {
  count = 0;
  attachments = 0;
  detachments = 0;
  loggedOut = 0;
  mind: Mind | null = null;
  increment(): number {
    this.count += 1;
    this.mind?.notify("counted", { count: this.count });
    return this.count;
  }
  attached(mind: Mind | null): void {
    this.attachments += 1;
    this.mind = mind;
  }
  detached(): void {
    this.detachments += 1;
  }
}

class CounterRealm implements Realm {
  readonly made: Counter[] = [];
  requestAvatar(_id: AvatarId, _mind: Mind | null, ...interfaces: string[]): LoginResult {
    const avatar = new Counter();
    this.made.push(avatar);
    return { interface: interfaces[0]!, avatar, logout: () => void (avatar.loggedOut += 1) };
  }
}

describe("avatars that outlive a connection (LingeringRealm)", () => {
  let server: NatsServerHandle;
  let bus: NatsBus;
  let portal: PortalService;
  let realm: CounterRealm;
  beforeEach(async () => {
    server = await startNatsServer();
    bus = await connectNatsBus({ servers: server.url });
    realm = new CounterRealm();
    const key = randomBytes(32);
    portal = await servePortal(bus, {
      realm: new LingeringRealm(realm, { graceMs: 300 }),
      checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" })],
      tokens: new TokenAuthority({ algorithm: "HS256", signingKey: key, verifyingKey: key }),
    });
  });
  afterEach(async () => {
    await portal.close();
    await bus.close();
    await server.stop();
  });

  it("gives a token reconnect within the grace period the same avatar, re-attached to the new Mind", async () => {
    const client = connect(bus);
    const first = await client.login(new UsernamePassword("alice", "pw"), { interfaces: ["counter"], issueToken: true });
    expect(await first.avatar["increment"]!()).toBe(1);
    expect(await first.avatar["increment"]!()).toBe(2);
    const token = first.token!;
    await first.logout();
    expect(realm.made[0]!.detachments).toBe(1);
    expect(realm.made[0]!.loggedOut).toBe(0);
    const notes: unknown[] = [];
    const second = await client.login(new TokenCredentials(token), { interfaces: ["counter"], mind: (n) => notes.push(n) });
    expect(await second.call("increment")).toBe(3);
    expect(realm.made).toHaveLength(1);
    expect(realm.made[0]!.attachments).toBe(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(notes).toEqual([{ event: "counted", data: { count: 3 } }]);
    await second.logout();
  });

  it("logs the avatar out exactly once when nobody comes back in time, and starts afresh after", async () => {
    const client = connect(bus);
    const first = await client.login(new UsernamePassword("alice", "pw"), { interfaces: ["counter"] });
    await first.call("increment");
    await first.logout();
    await new Promise((r) => setTimeout(r, 450));
    expect(realm.made[0]!.loggedOut).toBe(1);
    const again = await client.login(new UsernamePassword("alice", "pw"), { interfaces: ["counter"] });
    expect(await again.call("increment")).toBe(1);
    expect(realm.made).toHaveLength(2);
    await again.logout();
  });
});

describe("LingeringRealm options", () => {
  it("refuses a graceMs that is not a whole number of milliseconds a timer can hold", () => {
    const inner: Realm = { requestAvatar: () => ({ interface: "echo", avatar: {}, logout: () => undefined }) };
    for (const graceMs of [-1, 1.5, Number.NaN, 2 ** 31]) expect(() => new LingeringRealm(inner, { graceMs }), String(graceMs)).toThrow(/graceMs/);
    expect(new LingeringRealm(inner, { graceMs: 0 }).lingering).toBe(0);
  });
});
