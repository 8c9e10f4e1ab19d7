/** Seed 002's Go game end to end: two clients with Minds over a real nats-server from nats.conf, as its restricted client user. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AvatarError,
  connect,
  InMemoryUsernamePasswordDatabaseDontUse,
  NoSuchInterface,
  NoSuchMethod,
  RemoteRealm,
  servePortal,
  serveRealm,
  UnauthorizedLogin,
  type Notification,
  type RemoteSession,
} from "../../actors/index.ts";
import { GoInterface, GoRealm } from "../../app/go-game/index.ts";
import { connectNatsBus, NoResponders, type Bus, type NatsBus } from "../../transports/index.ts";
import { newIdentifier } from "../../actors/wire/identifiers.ts";
import { recordViolations, rejectionOf, violationIn, waitFor, type Violation } from "../e2e/permission-violation.ts";
import { DEV_CLIENT, startNatsServer, type NatsServerHandle } from "../support/nats-server.ts";
import { json, parse } from "../support/wire.ts";

const dec = new TextDecoder();

const PASSWORDS = { alice: "alice-pw", bob: "bob-pw", carol: "carol-pw", dave: "dave-pw" } as const;
type User = keyof typeof PASSWORDS;
const KEYRING = {
  alice: [GoInterface.player, GoInterface.spectator],
  bob: [GoInterface.player, GoInterface.spectator],
  carol: [GoInterface.spectator],
  dave: [GoInterface.player],
};
const credentials = (user: User) => ({ kind: "username-password", username: user, password: PASSWORDS[user] });

interface Deployment {
  readonly realm: GoRealm;
  stop(): Promise<void>;
}

/** Both shapes of seed 002's server: the realm inside the portal, or its own service reached by RemoteRealm. */
const TOPOLOGIES = {
  "realm inside the portal": async (service: () => Promise<Bus>, heartbeatMs: number): Promise<Deployment> => {
    const realm = new GoRealm({ keyring: KEYRING });
    const portal = await servePortal(await service(), { realm, checkers: [new InMemoryUsernamePasswordDatabaseDontUse(PASSWORDS)], heartbeatMs, discoverCheckers: false });
    return { realm, stop: () => portal.close() };
  },
  "realm as its own service (serveRealm + RemoteRealm)": async (service: () => Promise<Bus>, heartbeatMs: number): Promise<Deployment> => {
    const realm = new GoRealm({ keyring: KEYRING });
    const hosted = await serveRealm(await service(), realm, { name: "go" });
    const portalBus = await service();
    const portal = await servePortal(portalBus, {
      realm: new RemoteRealm(portalBus, "go", { timeoutMs: 5000 }),
      checkers: [new InMemoryUsernamePasswordDatabaseDontUse(PASSWORDS)],
      heartbeatMs,
      discoverCheckers: false,
    });
    return { realm, stop: async () => (await portal.close(), await hosted.stop()) };
  },
};

interface Client {
  readonly bus: NatsBus;
  readonly violations: Violation[];
}
interface Player extends Client {
  readonly session: RemoteSession;
  readonly events: Notification[];
}
/** A client that logs in by hand and never pings: it sees every raw message on its mind subject. */
interface RawPlayer extends Client {
  readonly session: string;
  readonly mind: Array<Record<string, any>>;
  call(method: string, ...args: unknown[]): Promise<Record<string, any>>;
}

let server: NatsServerHandle;
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await server?.stop();
});

describe.each(Object.entries(TOPOLOGIES))("Go over NATS, %s", (_name, deploy) => {
  let buses: Bus[] = [];
  let deployment: Deployment | undefined;

  const serviceBus = async () => {
    // No credentials: nats.conf's development `no_auth_user` makes this the service user.
    const bus = await connectNatsBus({ servers: server.url });
    buses.push(bus);
    return bus;
  };
  const clientBus = async (): Promise<Client> => {
    const bus = await connectNatsBus({ servers: server.url, ...DEV_CLIENT, onHandlerError: () => undefined });
    buses.push(bus);
    return { bus, violations: recordViolations(bus) };
  };
  const start = async (heartbeatMs = 15_000) => (deployment = await deploy(serviceBus, heartbeatMs));
  const join = async (user: User, interfaces: string[] = [GoInterface.player]): Promise<Player> => {
    const client = await clientBus();
    const events: Notification[] = [];
    const session = await connect(client.bus).login(credentials(user), { interfaces, mind: (n) => events.push(n) });
    return { ...client, session, events };
  };
  const joinRaw = async (user: User): Promise<RawPlayer> => {
    const client = await clientBus();
    const mind: Array<Record<string, any>> = [];
    const subject = client.bus.inbox();
    client.bus.subscribe(subject, (m) => void mind.push(parse(m.data)));
    const reply = parse(await client.bus.request("cred.login", json({ credentials: credentials(user), interfaces: [GoInterface.player], mind: subject })));
    expect(reply).toMatchObject({ ok: true, avatarId: user, interface: GoInterface.player });
    const session = reply["session"] as string;
    const call = async (method: string, ...args: unknown[]) =>
      parse(await client.bus.request(`cred.session.${session}.call`, json({ method, args }), { timeoutMs: 3000 }));
    return { ...client, session, mind, call };
  };
  const moves = (events: readonly Notification[]) => events.filter((e) => e.event === "moved").map((e) => e.data);

  afterEach(async () => {
    await deployment?.stop();
    deployment = undefined;
    for (const bus of buses.reverse()) await bus.close();
    buses = [];
  });

  it("should play a game: black then white, alternate moves, refuse occupied points, push every move to both Minds in order", async () => {
    await start();
    const alice = await join("alice");
    const bob = await join("bob");
    expect(await alice.session.call("whoami")).toEqual({ player: "alice", color: "black" });
    expect(await bob.session.call("whoami")).toEqual({ player: "bob", color: "white" });

    const script: Array<[Player, number, number]> = [[alice, 3, 3], [bob, 15, 15], [alice, 3, 15], [bob, 15, 3], [alice, 9, 9], [bob, 10, 9]];
    for (const [who, x, y] of script) await who.session.call("move", x, y);
    await expect(bob.session.call("move", 4, 4)).rejects.toThrow(new AvatarError("it is not your turn"));
    await expect(alice.session.call("move", 9, 9)).rejects.toThrow(new AvatarError("that point is occupied"));
    await expect(alice.session.call("move", 19, 0)).rejects.toThrow(AvatarError);

    const expected = script.map(([who, x, y], i) => ({ player: who === alice ? "black" : "white", x, y, captured: [], next: i % 2 === 0 ? "white" : "black" }));
    await waitFor(() => moves(alice.events).length === 6 && moves(bob.events).length === 6);
    expect(moves(alice.events)).toEqual(expected);
    expect(moves(bob.events)).toEqual(expected);

    const board = await bob.session.call<{ rows: string[]; toMove: string; moves: number; black: string; white: string }>("getBoard");
    expect(board).toMatchObject({ toMove: "black", moves: 6, black: "alice", white: "bob" });
    expect(board.rows[3]![3]).toBe("X");
    expect(board.rows[15]![15]).toBe("O");
    await alice.session.call("pass");
    await bob.session.call("pass");
    await waitFor(() => alice.events.some((e) => e.event === "gameOver") && bob.events.some((e) => e.event === "gameOver"));
  });

  it("should grant each identity only the perspectives on its keyring", async () => {
    await start();
    const alice = await join("alice");
    const bob = await join("bob");
    // carol's keyring holds go.Spectator only.
    await expect(join("carol")).rejects.toThrow(NoSuchInterface);
    const carol = await join("carol", [GoInterface.player, GoInterface.spectator]);
    expect(carol.session.interface).toBe(GoInterface.spectator);
    await expect(carol.session.call("move", 0, 0)).rejects.toBeInstanceOf(NoSuchMethod);
    // dave may play, but both seats are taken.
    await expect(join("dave")).rejects.toThrow(new NoSuchInterface("the game is full"));
    await expect(join("dave", [GoInterface.spectator])).rejects.toThrow(NoSuchInterface);
    await alice.session.call("move", 0, 0);
    await waitFor(() => moves(carol.events).length === 1 && moves(bob.events).length === 1);
    expect(moves(carol.events)[0]).toMatchObject({ player: "black", x: 0, y: 0 });
    expect(moves(bob.events)).toEqual(moves(carol.events));
  });

  it("should not let Alice move for Bob, whatever she sends", async () => {
    const { realm } = await start();
    const alice = await join("alice");
    const bob = await join("bob");
    // Spy on the service side: nothing Alice sends may reach a checker, realm or release handler.
    const spy = await serviceBus();
    const internal: string[] = [];
    for (const subject of ["cred.checker.>", "cred.checkers.>", "cred.realm.>", "cred.session.*.release"]) {
      spy.subscribe(subject, (m) => void internal.push(`${m.subject} ${dec.decode(m.data)}`));
    }
    await spy.flush();
    await alice.session.call("move", 3, 3);
    // From here on it is Bob's (white's) turn: any stone Alice could place would be white.

    // 1. Naming a player, or any extra argument, in the call.
    for (const args of [[4, 4, "bob"], [4, 4, "white"], [4, 4, { player: "bob" }], ["bob", 4, 4], [{ player: "white", x: 4, y: 4 }]]) {
      await expect(alice.session.call("move", ...args), JSON.stringify(args)).rejects.toBeInstanceOf(AvatarError);
    }
    // 2. Identity fields smuggled into the request body on her own session: she is still black.
    const own = `cred.session.${alice.session.id}.call`;
    const smuggled = parse(await alice.bus.request(own, json({ method: "move", args: [4, 4], session: bob.session.id, avatarId: "bob", player: "white", interface: "go.Player" })));
    expect(smuggled).toEqual({ ok: false, error: { code: "AvatarError", message: "it is not your turn" } });
    // 3. Sessions she does not hold: forged ids, guessed names. Nobody answers.
    const flip = alice.session.id.endsWith("A") ? "B" : "A";
    for (const id of [newIdentifier(), "bob", "white", alice.session.id.slice(0, 21) + flip]) {
      const subject = `cred.session.${id}.call`;
      await expect(alice.bus.request(subject, json({ method: "move", args: [4, 4] }), { timeoutMs: 2000 }), id).rejects.toBeInstanceOf(NoResponders);
    }
    // A wildcard cannot be published at all.
    await expect(alice.bus.request("cred.session.*.call", json({ method: "move", args: [4, 4] }))).rejects.toThrow();
    // 4. Internal subjects: releasing Bob's avatar, asking the realm for one in Bob's name, asking the checker.
    const forgedRealmRequest = { avatarId: "bob", anonymous: false, interfaces: [GoInterface.player], session: newIdentifier(), mind: null, forged: true };
    const denied: Array<[string, unknown]> = [
      [`cred.session.${bob.session.id}.release`, {}],
      [`cred.session.${alice.session.id}.release`, {}],
      ["cred.realm.go.avatar", forgedRealmRequest],
      ["cred.checker.memory", { credentials: credentials("bob"), forged: true }],
      ["cred.checkers.announce", { name: "evil", kinds: ["username-password"] }],
    ];
    for (const [subject, body] of denied) {
      const error = await rejectionOf(alice.bus.request(subject, json(body), { timeoutMs: 2000 }));
      expect(violationIn(error), subject).toEqual({ operation: "publish", subject });
    }
    // 5. Listening in on Bob's session subjects to answer or copy his calls.
    alice.bus.subscribe(`cred.session.${bob.session.id}.>`, () => undefined);
    alice.bus.subscribe("cred.session.*.call", () => undefined);
    await waitFor(() => alice.violations.filter((v) => v.operation === "subscription").length === 2);
    // 6. Methods that are not the perspective's: internals, hooks, JavaScript machinery.
    for (const name of ["constructor", "__proto__", "game", "table", "_private", "#color", "color", "avatarId", "attached", "detached", "logout", "release", "toString", "hasOwnProperty"]) {
      await expect(alice.session.call(name, "bob"), name).rejects.toBeInstanceOf(NoSuchMethod);
    }
    // 7. Logging in as Bob without his password.
    await expect(connect(alice.bus).login({ kind: "username-password", username: "bob", password: "guess" }, { interfaces: [GoInterface.player] })).rejects.toBeInstanceOf(UnauthorizedLogin);

    await spy.flush();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(internal.filter((line) => line.includes("forged") || line.includes("evil") || line.includes(".release"))).toEqual([]);
    const board = realm.table.view();
    expect(board.moves).toBe(1);
    expect(board.rows.join("").replace(/\./g, "")).toBe("X");
    expect(moves(bob.events)).toHaveLength(1);
    // Bob's session is untouched: he moves as white.
    await bob.session.call("move", 4, 4);
    expect(realm.table.view().rows[4]![4]).toBe("O");
  });

  it("should end a session on logout: `ended`/logout last on its Mind, the avatar detached, the opponent told", async () => {
    const { realm } = await start();
    const alice = await join("alice");
    const bob = await joinRaw("bob");
    expect(realm.table.watchers).toBe(2);
    await alice.session.call("move", 3, 3);
    await waitFor(() => bob.mind.some((m) => m["event"] === "moved"));
    expect(parse(await bob.bus.request(`cred.session.${bob.session}.logout`, json({})))).toEqual({ ok: true });
    await waitFor(() => bob.mind.at(-1)?.["type"] === "ended");
    expect(bob.mind.at(-1)).toEqual({ session: bob.session, type: "ended", reason: "logout", seq: 2 });
    await waitFor(() => alice.events.some((e) => e.event === "left"));
    expect(alice.events.filter((e) => e.event === "left")).toEqual([{ event: "left", data: { color: "white", player: "bob" } }]);
    expect(realm.table.watchers).toBe(1);
    expect(await bob.call("move", 4, 4)).toMatchObject({ ok: false, error: { code: "SessionEnded" } });
    // The seat stays Bob's: he logs back in as white and plays on.
    const again = await join("bob");
    expect(await again.session.call("whoami")).toEqual({ player: "bob", color: "white" });
    await again.session.call("move", 4, 4);
    await alice.session.logout();
    expect(await alice.session.closed).toBe("logout");
  });

  it("should end a client that stops pinging with `ended`/timeout and detach its avatar", async () => {
    const { realm } = await start(100);
    const alice = await join("alice");
    const bob = await joinRaw("bob");
    const started = Date.now();
    await waitFor(() => bob.mind.at(-1)?.["type"] === "ended", 5000);
    // Between 2× and 3× heartbeatMs + 1 s after the last activity (the login).
    expect(Date.now() - started).toBeLessThan(3 * 100 + 1000);
    expect(bob.mind.at(-1)).toEqual({ session: bob.session, type: "ended", reason: "timeout", seq: 1 });
    await waitFor(() => alice.events.some((e) => e.event === "left"));
    expect(realm.table.watchers).toBe(1);
    expect(await bob.call("move", 4, 4)).toMatchObject({ ok: false, error: { code: "SessionEnded" } });
    // Alice, who pings, is still in.
    expect(await alice.session.call("getBoard")).toMatchObject({ black: "alice", white: "bob" });
  });
});
