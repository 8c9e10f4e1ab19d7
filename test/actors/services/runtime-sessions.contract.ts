/** The runtime suite, over every transport: logins, calls, Minds, heartbeats, logout and shutdown. */
import { describe, expect, it } from "vitest";
import type { Bus } from "../../../transports/bus.ts";
import { NoResponders } from "../../../transports/errors.ts";
import {
  AllowAnonymousAccess,
  connect,
  LoginFailed,
  NoSuchInterface,
  RemoteRealm,
  serveRealm,
  SimpleRealm,
  UnauthorizedLogin,
  UsernamePassword,
  type Notification,
  type LoginResult,
} from "../../../actors/index.ts";
import { newIdentifier } from "../../../actors/wire/identifiers.ts";
import { TestRealm } from "../../support/test-realm.ts";
import { type Network, json, NATS_CONF_MAX_PAYLOAD, parse, sleep, waitFor } from "../../support/wire.ts";
import { SESSION_ENDED, runtimeHarness } from "./runtime-harness.ts";

/** A client library login over `b` whose mind subject the test knows (as an injector that learnt it would), and what its Mind heard. */
async function loginKnowingMind(b: Bus) {
  const mindSubject = `_INBOX.${newIdentifier()}`;
  const known = new Proxy(b, {
    get: (target, key) => (key === "inbox" ? () => mindSubject : ((value: unknown) => (typeof value === "function" ? value.bind(target) : value))(Reflect.get(target, key))),
  });
  const notes: Notification[] = [];
  const session = await connect(known).login(new UsernamePassword("alice", "secret"), { interfaces: ["echo"], mind: (n) => notes.push(n) });
  return { mindSubject, session, notes };
}

export function runtimeSessionsContract(name: string, makeNetwork: () => Promise<Network>): void {
  describe(`runtime over ${name}: sessions`, () => {
    const { services, bus, portal, request, login } = runtimeHarness(makeNetwork);

    it("logs in, calls the avatar, delivers a notification to the Mind, and logs out with `ended` last", async () => {
      await portal();
      const client = connect(await bus());
      const notes: Notification[] = [];
      const session = await client.login(new UsernamePassword("alice", "secret"), { interfaces: ["echo"], mind: (n) => notes.push(n) });
      expect(session.avatarId).toBe("alice");
      expect(session.interface).toBe("echo");
      expect(await session.call("echo", { x: [1, 2] })).toEqual({ x: [1, 2] });
      await session.call("announce", "hello");
      await waitFor(() => notes.length === 1);
      expect(notes[0]).toEqual({ event: "announce", data: { text: "hello" } });
      await session.logout();
      expect(await session.closed).toBe("logout");
    });

    it("answers `result: null` for a method returning what JSON cannot say (undefined, a function, a symbol), never a reply without `result`", async () => {
      await portal({ realm: new TestRealm(["echo"]) });
      const b = await bus();
      const { session } = await login(b);
      for (const kind of ["undefined", "function", "symbol"]) {
        expect(await request(b, `cred.session.${session}.call`, { method: "unsayable", args: [kind] })).toEqual({ ok: true, result: null });
      }
    });

    it.each(["the portal's process", "a realm service"])("answers a call whose result is over NATS's max_payload with AvatarError saying so, and tells the Mind of a notification too large with `dropped`, the session going on (realm in %s)", async (where) => {
      // An outside probe: a 2.7 MB result met silence, and a 2.7 MB notification cut the Mind off for good.
      const realm = new TestRealm(["echo"]);
      if (where === "a realm service") {
        services.push(await serveRealm(await bus(), realm, { name: "game" }));
        await portal({ realm: new RemoteRealm(await bus(), "game") });
      } else await portal({ realm });
      const notes: Notification[] = [];
      const session = await connect(await bus()).login(new UsernamePassword("alice", "secret"), { interfaces: ["echo"], mind: (n) => notes.push(n) });
      const tooLarge = NATS_CONF_MAX_PAYLOAD + 1_000;
      await expect(session.call("sized", tooLarge)).rejects.toMatchObject({ code: "AvatarError", message: expect.stringContaining("too large") });
      expect(await session.call("sized", 3)).toBe("yyy");
      await session.call("shout", 1);
      await session.call("shout", tooLarge);
      await session.call("shout", 2);
      await waitFor(() => notes.length === 3);
      expect(notes.map((n) => [n.event, n.data])).toEqual([
        ["shout", { text: "y" }],
        ["dropped", { count: 1 }],
        ["shout", { text: "yy" }],
      ]);
      await session.logout();
      expect(await session.closed).toBe("logout");
    });

    it.each(["the portal's process", "a realm service"])("gives a realm in %s null for the mind of a login that names none (Twisted's mind=None), and a Mind for one that does", async (where) => {
      const realm = new TestRealm(["echo"]);
      if (where === "a realm service") {
        services.push(await serveRealm(await bus(), realm, { name: "game" }));
        await portal({ realm: new RemoteRealm(await bus(), "game") });
      } else await portal({ realm });
      const b = await bus();
      const { session } = await login(b);
      await login(b, { mind: b.inbox() });
      expect(realm.avatars.map((a) => a.mind === null)).toEqual([true, false]);
      // A call that notifies still works: there is just nobody to tell.
      expect(await request(b, `cred.session.${session}.call`, { method: "announce", args: ["hi"] })).toEqual({ ok: true, result: null });
    });

    it("refuses, from a realm service, a realm's Twisted-style [interface, avatar, logout] tuple with LoginFailed, and logs out what it granted", async () => {
      let loggedOut = 0;
      const tupleRealm = { requestAvatar: () => ["echo", {}, () => void loggedOut++] as unknown as LoginResult };
      services.push(await serveRealm(await bus(), tupleRealm, { name: "game" }));
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const reply = await login(await bus());
      expect(reply).toMatchObject({ ok: false, error: { code: "LoginFailed", message: expect.stringContaining("malformed result") } });
      expect(loggedOut).toBe(1);
    });

    /** A realm that tells the Mind `welcome` (naming the session) as it starts making the avatar, and grants it 300 ms later. */
    const slowWelcomingRealm = () => {
      const made = { granted: 0, loggedOut: 0 };
      const realm = {
        requestAvatar: async (_avatarId: unknown, mind: { notify(event: string, data?: unknown): void } | null) => {
          mind?.notify("welcome");
          await sleep(300);
          made.granted++;
          return { interface: "echo", avatar: { echo: (x: unknown) => x }, logout: () => void made.loggedOut++ };
        },
      };
      return { realm, made };
    };
    /** A Mind on `b` that, once the realm's `welcome` names the session (before the login reply), sends it these requests. */
    const requestsOnWelcome = async (b: Bus, requests: ReadonlyArray<readonly [verb: string, body: unknown]>) => {
      const mind = b.inbox();
      const early: Array<Promise<Record<string, unknown>>> = [];
      b.subscribe(mind, (m) => {
        const note = parse(m.data);
        if (note["event"] !== "welcome") return;
        for (const [verb, body] of requests) early.push(request(b, `cred.session.${note["session"]}.${verb}`, body));
      });
      await b.flush();
      return { mind, early };
    };
    const servedWhere = async (where: string, realm: ReturnType<typeof slowWelcomingRealm>["realm"]) => {
      if (where === "a realm service") {
        services.push(await serveRealm(await bus(), realm, { name: "game" }));
        await portal({ realm: new RemoteRealm(await bus(), "game") });
      } else await portal({ realm });
    };

    it.each(["the portal's process", "a realm service"])(
      "logs out a session whose logout comes while a realm in %s still makes its avatar (the id came in a notification): the login is refused, the avatar released on arrival",
      async (where) => {
        const { realm, made } = slowWelcomingRealm();
        await servedWhere(where, realm);
        const b = await bus();
        const { mind, early } = await requestsOnWelcome(b, [
          ["call", { method: "echo", args: [1] }],
          ["logout", {}],
        ]);
        const reply = await login(b, { mind });
        expect(reply).toEqual({ ok: false, error: { code: "LoginFailed", message: "login cancelled" } });
        // The call waited for the login's outcome: no session.
        expect(await Promise.all(early)).toMatchObject([SESSION_ENDED, { ok: true }]);
        await waitFor(() => made.loggedOut === 1);
        expect(made.granted).toBe(1);
      },
    );

    it.each(["the portal's process", "a realm service"])("answers a call sent while a realm in %s still makes the avatar once the session is live (the realm's avatar, or a retryable AvatarError), rather than SessionEnded", async (where) => {
      const { realm } = slowWelcomingRealm();
      await servedWhere(where, realm);
      const b = await bus();
      const { mind, early } = await requestsOnWelcome(b, [["call", { method: "echo", args: [7] }]]);
      const reply = await login(b, { mind });
      expect(reply).toMatchObject({ ok: true });
      if (where === "a realm service") {
        // Only the portal heard it (the realm subscribes the session once it hosts the avatar), and
        // it cannot hand the call on: "try again", and the call sent again reaches the avatar.
        expect(await early[0]).toEqual({ ok: false, error: { code: "AvatarError", message: "the realm hosting the avatar did not receive the call; try again" } });
        expect(await request(b, `cred.session.${reply["session"]}.call`, { method: "echo", args: [7] })).toEqual({ ok: true, result: 7 });
      } else expect(await early[0]).toEqual({ ok: true, result: 7 });
    });

    it("answers AvatarError to a call sent while a realm built from PROTOCOL.md alone still makes the avatar, rather than leaving it to silence", async () => {
      // Played on the wire: no instance, no list of calls; it subscribes the session's call
      // subject once it has made the avatar, 300 ms after telling the Mind `welcome`.
      const realmBus = await bus();
      realmBus.subscribe("cred.realm.game.avatar", (m) => {
        const { session, mind } = parse(m.data) as { session?: string; mind?: string };
        // The portal's own `{}` (is anyone serving the realm?) is garbage to a realm.
        if (session === undefined || mind === undefined) return void m.respond(json({ ok: false, error: { code: "BadRequest", message: "no session" } }));
        realmBus.publish(mind, json({ session, type: "notify", event: "welcome", data: null }));
        setTimeout(() => {
          realmBus.subscribe(`cred.session.${session}.release`, (release) => void release.respond(json({ ok: true })));
          realmBus.subscribe(`cred.session.${session}.call`, (call) => {
            const body = parse(call.data);
            call.respond(json(typeof body["method"] === "string" ? { ok: true, result: body["args"]?.[0] ?? null } : { ok: false, error: { code: "BadRequest", message: "no method" } }));
          });
          void realmBus.flush().then(() => m.respond(json({ ok: true, interface: "echo" })));
        }, 300);
      });
      await realmBus.flush();
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const { mind, early } = await requestsOnWelcome(b, [["call", { method: "echo", args: [7] }]]);
      const reply = await login(b, { mind });
      expect(reply).toMatchObject({ ok: true });
      expect(await early[0]).toEqual({ ok: false, error: { code: "AvatarError", message: "the call came before the session was live; try again" } });
      expect(await request(b, `cred.session.${reply["session"]}.call`, { method: "echo", args: [7] })).toEqual({ ok: true, result: 7 });
    });

    it("takes as a Mind only an inbox by default, and also what mindPrefixes names", async () => {
      await portal();
      const b = await bus();
      expect(await login(b, { mind: "_INBOX.a1" })).toMatchObject({ ok: true });
      for (const mind of ["game.minds.alice", "$JS.API.INFO"]) {
        expect(await login(b, { mind }), mind).toMatchObject({ ok: false, error: { code: "BadRequest", message: "invalid mind: must be a plain subject under _INBOX. or _INBOX_<user>." } });
      }
      const game = await portal({ prefix: "game", mindPrefixes: ["game-minds"] });
      const notes: string[] = [];
      b.subscribe("game-minds.alice", (m) => void notes.push(parse(m.data)["type"]));
      const reply = await request(b, "game.login", { credentials: { kind: "username-password", username: "alice", password: "secret" }, interfaces: ["echo"], mind: "game-minds.alice" });
      expect(reply).toMatchObject({ ok: true });
      expect((await request(b, "game.login", { credentials: { kind: "username-password", username: "alice", password: "secret" }, interfaces: ["echo"], mind: "_INBOX.x" }))["ok"]).toBe(true);
      expect(await request(b, "game.login", { credentials: { kind: "username-password", username: "alice", password: "secret" }, interfaces: ["echo"], mind: "other.x" })).toMatchObject({
        ok: false,
        error: { code: "BadRequest", message: "invalid mind: must be a plain subject under _INBOX. or _INBOX_<user>. or game-minds." },
      });
      await request(b, `game.session.${reply["session"]}.logout`, {});
      await waitFor(() => notes.length === 1);
      expect(notes).toEqual(["ended"]);
      // The inbox-minded one is still live.
      expect(game.sessions).toBe(1);
      await expect(portal({ mindPrefixes: ["$JS"] })).rejects.toThrow(TypeError);
    });

    it("takes an inbox mind only under the login request's own inbox prefix: a client cannot point its session's Mind at another user's inbox", async () => {
      // An outside probe's alice named bob's Mind subject as hers: her sessions' notifications and
      // `ended` messages went to bob. NATS says nothing of who sent a request, but a client reads
      // its reply on its own inboxes, which share one prefix (nats.js's inboxPrefix).
      await portal();
      const b = await bus();
      const loginReplyingTo = async (reply: string, mind: string) => {
        const answered = new Promise<Record<string, any>>((resolve) => {
          const sub = b.subscribe(reply, (m) => {
            sub.unsubscribe();
            resolve(parse(m.data));
          });
        });
        await b.flush();
        b.publish("cred.login", json({ credentials: { kind: "username-password", username: "alice", password: "secret" }, interfaces: ["echo"], mind }), { reply });
        return answered;
      };
      const refusal = (prefix: string) => ({ ok: false, error: { code: "BadRequest", message: `invalid mind: an inbox mind must be under the request's own inbox prefix (${prefix}.)` } });
      expect(await loginReplyingTo("_INBOX_alice.r1", "_INBOX_bob.mind")).toEqual(refusal("_INBOX_alice"));
      expect(await loginReplyingTo("_INBOX_alice.r2", "_INBOX.mind")).toEqual(refusal("_INBOX_alice"));
      expect(await loginReplyingTo("_INBOX.r3", "_INBOX_bob.mind")).toEqual(refusal("_INBOX"));
      expect(await loginReplyingTo("_INBOX_alice.r4", "_INBOX_alice.x.y")).toMatchObject({ ok: true });
      expect(await loginReplyingTo("_INBOX.r5", "_INBOX.elsewhere")).toMatchObject({ ok: true });
    });

    it("hears on its Mind only its own session's messages: a notification naming another session is not delivered", async () => {
      await portal();
      const b = await bus();
      const { mindSubject, session, notes } = await loginKnowingMind(b);
      b.publish(mindSubject, json({ session: newIdentifier(), type: "notify", event: "announce", data: { text: "forged" } }));
      b.publish(mindSubject, json({ session: newIdentifier(), type: "ended", reason: "revoked" }));
      await session.call("announce", "real");
      await waitFor(() => notes.length >= 1);
      await sleep(50);
      expect(notes).toEqual([{ event: "announce", data: { text: "real" } }]);
      await session.logout();
      expect(await session.closed).toBe("logout");
    });

    it("tells the client library's Mind how many notifications were lost just before the session's end, from the number `ended` carries", async () => {
      await portal();
      const b = await bus();
      // The test plays the lost messages' part.
      const { mindSubject, session, notes } = await loginKnowingMind(b);
      await session.call("announce", "one");
      await waitFor(() => notes.length === 1);
      // Numbers 2 and 3 never arrived; the end comes as number 4.
      b.publish(mindSubject, json({ session: session.id, type: "ended", reason: "revoked", seq: 4 }));
      expect(await session.closed).toBe("revoked");
      expect(notes).toEqual([
        { event: "announce", data: { text: "one" } },
        { event: "dropped", data: { count: 2, cause: "lost" } },
      ]);
    });

    it("answers each login exactly once, and a call sent the moment the reply lands reaches the session", async () => {
      await portal();
      const b = await bus();
      const inbox = b.inbox();
      const replies: Array<Record<string, any>> = [];
      const calls: Array<Promise<Record<string, any>>> = [];
      b.subscribe(inbox, (m) => {
        const reply = parse(m.data);
        replies.push(reply);
        // No await in between: the session's subscription must already be at the server.
        calls.push(request(b, `cred.session.${reply.session}.call`, { method: "echo", args: [replies.length] }));
      });
      const body = { credentials: { kind: "username-password", username: "alice", password: "secret" }, interfaces: ["echo"] };
      for (let i = 0; i < 20; i++) b.publish("cred.login", json(body), { reply: inbox });
      await waitFor(() => calls.length === 20);
      const answers = await Promise.all(calls);
      await sleep(50);
      expect(replies).toHaveLength(20);
      expect(replies.every((r) => r.ok === true)).toBe(true);
      expect(answers.map((a) => a.result)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    it("answers a login with a 22-character session capability, the avatarId, the interface and heartbeatMs", async () => {
      await portal({ heartbeatMs: 15000 });
      const reply = await login(await bus());
      expect(reply).toMatchObject({ ok: true, avatarId: "alice", interface: "echo", heartbeatMs: 15000 });
      expect(reply["session"]).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(reply).not.toHaveProperty("anonymous");
    });

    it("publishes `notify` messages, numbered from 1 by `seq`, and a final `ended` that takes the next number, on the raw mind subject", async () => {
      await portal();
      const b = await bus();
      const mind = b.inbox();
      const seen: any[] = [];
      b.subscribe(mind, (m) => void seen.push(parse(m.data)));
      const { session } = await login(b, { mind });
      await request(b, `cred.session.${session}.call`, { method: "announce", args: ["hi"] });
      await request(b, `cred.session.${session}.call`, { method: "announce", args: ["again"] });
      expect(await request(b, `cred.session.${session}.logout`, {})).toEqual({ ok: true });
      await waitFor(() => seen.length === 3);
      expect(seen).toEqual([
        { session, type: "notify", event: "announce", data: { text: "hi" }, seq: 1 },
        { session, type: "notify", event: "announce", data: { text: "again" }, seq: 2 },
        { session, type: "ended", reason: "logout", seq: 3 },
      ]);
    });

    it("refuses a wrong password and an unknown user with the same UnauthorizedLogin reply", async () => {
      await portal();
      const b = await bus();
      const wrong = await login(b, { credentials: { kind: "username-password", username: "alice", password: "nope" } });
      const unknown = await login(b, { credentials: { kind: "username-password", username: "mallory", password: "secret" } });
      expect(wrong).toEqual({ ok: false, error: { code: "UnauthorizedLogin", message: expect.any(String) } });
      expect(unknown).toEqual(wrong);
      await expect(connect(b).login(new UsernamePassword("alice", "x"), { interfaces: ["echo"] })).rejects.toBeInstanceOf(UnauthorizedLogin);
    });

    it("logs in anonymously with avatarId null and anonymous true", async () => {
      await portal({ checkers: [new AllowAnonymousAccess()] });
      const reply = await login(await bus(), { credentials: { kind: "anonymous" } });
      expect(reply).toMatchObject({ ok: true, avatarId: null, anonymous: true, interface: "echo" });
    });

    it("rejects interfaces the realm does not support with NoSuchInterface", async () => {
      await portal();
      const reply = await login(await bus(), { interfaces: ["game.Player"] });
      expect(reply["error"].code).toBe("NoSuchInterface");
    });

    it("ends an idle session with reason timeout between 2× and 3× heartbeatMs + 1 s", async () => {
      await portal({ heartbeatMs: 100 });
      const b = await bus();
      const mind = b.inbox();
      let endedAt = 0;
      let reason = "";
      b.subscribe(mind, (m) => {
        const body = parse(m.data);
        if (body["type"] === "ended") {
          endedAt = Date.now();
          reason = body["reason"];
        }
      });
      const started = Date.now();
      const { session } = await login(b, { mind });
      await waitFor(() => endedAt > 0, 3000);
      expect(reason).toBe("timeout");
      expect(endedAt - started).toBeGreaterThanOrEqual(200);
      expect(endedAt - started).toBeLessThanOrEqual(1300 + 100);
      expect(await request(b, `cred.session.${session}.ping`, {})).toMatchObject(SESSION_ENDED);
    });

    it("refuses a heartbeatMs whose session timer Node cannot hold (it would end every session at once)", async () => {
      await expect(portal({ heartbeatMs: 2_000_000_000 })).rejects.toThrow(RangeError);
      await expect(portal({ heartbeatMs: 9.5 })).rejects.toThrow("heartbeatMs must be an integer from 10 to 858993458");
    });

    it("keeps a session alive while the client pings", async () => {
      await portal({ heartbeatMs: 100 });
      const b = await bus();
      const { session } = await login(b);
      for (let i = 0; i < 8; i++) {
        await sleep(80);
        expect(await request(b, `cred.session.${session}.ping`, {})).toEqual({ ok: true });
      }
    });

    it("counts a malformed ping or call as activity too, answering it BadRequest", async () => {
      await portal({ heartbeatMs: 100 });
      const b = await bus();
      const { session } = await login(b);
      for (let i = 0; i < 8; i++) {
        await sleep(80);
        const verb = i % 2 === 0 ? "ping" : "call";
        const reply = parse(await b.request(`cred.session.${session}.${verb}`, new TextEncoder().encode("not json"), { timeoutMs: 2000 }));
        expect(reply).toMatchObject({ ok: false, error: { code: "BadRequest" } });
      }
      // 640 ms of only garbage, past 2.5 × heartbeatMs many times over: still live.
      expect(await request(b, `cred.session.${session}.ping`, {})).toEqual({ ok: true });
    });

    it("answers requests for a session that is not live, never with silence: a repeated logout ok and the rest SessionEnded for endedLingerMs, then no-responders", async () => {
      await portal({ endedLingerMs: 1000 });
      const b = await bus();
      await expect(b.request("cred.session.AAAAAAAAAAAAAAAAAAAAAA.call", json({ method: "echo" }), { timeoutMs: 2000 })).rejects.toBeInstanceOf(
        NoResponders,
      );
      const { session } = await login(b);
      expect(await request(b, `cred.session.${session}.logout`, {})).toEqual({ ok: true });
      const endedAt = performance.now();
      // PROTOCOL.md: "a logout of a session that already ended replies {"ok": true} or SessionEnded".
      expect(await request(b, `cred.session.${session}.logout`, {})).toEqual({ ok: true });
      expect(await request(b, `cred.session.${session}.call`, { method: "echo" })).toMatchObject(SESSION_ENDED);
      expect(await request(b, `cred.session.${session}.ping`, {})).toMatchObject(SESSION_ENDED);
      // Garbage is still garbage.
      expect(parse(await b.request(`cred.session.${session}.logout`, new TextEncoder().encode("x"), { timeoutMs: 2000 }))).toMatchObject({
        ok: false,
        error: { code: "BadRequest" },
      });
      // Then nobody answers, and NATS says so: polled, so that a slow machine cannot fail this.
      let outcome: unknown;
      while (performance.now() - endedAt < 5000) {
        outcome = await b.request(`cred.session.${session}.logout`, json({}), { timeoutMs: 2000 }).catch((error: unknown) => error);
        if (outcome instanceof NoResponders) break;
        await sleep(50);
      }
      expect(outcome).toBeInstanceOf(NoResponders);
      expect(performance.now() - endedAt).toBeGreaterThanOrEqual(1000);
    });

    it("leaves a repeated logout to no-responders when endedLingerMs is 0, and refuses a negative endedLingerMs", async () => {
      await portal({ endedLingerMs: 0 });
      const b = await bus();
      const { session } = await login(b);
      expect(await request(b, `cred.session.${session}.logout`, {})).toEqual({ ok: true });
      await expect(b.request(`cred.session.${session}.logout`, json({}), { timeoutMs: 2000 })).rejects.toBeInstanceOf(NoResponders);
      await expect(portal({ endedLingerMs: -1 })).rejects.toThrow(RangeError);
    });

    it.each(["a local avatar", "an avatar in a realm service"])("answers every request racing a logout of %s (two logouts, four calls, three connections): never silence", async (where) => {
      if (where === "a local avatar") await portal();
      else {
        services.push(await serveRealm(await bus(), new SimpleRealm(), { name: "game" }));
        await portal({ realm: new RemoteRealm(await bus(), "game") });
      }
      const clients = [await bus(), await bus(), await bus()];
      const outcome = (data: Uint8Array) => {
        const reply = parse(data);
        return reply["ok"] === true ? "ok" : reply["error"].code;
      };
      const tally: Record<string, number> = {};
      for (let round = 0; round < 15; round++) {
        const { session } = await login(clients[0]!);
        const jobs = [
          ["logout", {}],
          ["logout", {}],
          ...Array.from({ length: 4 }, () => ["call", { method: "echo", args: [round] }] as const),
        ] as const;
        const outcomes = await Promise.all(
          jobs.map(([verb, body], i) =>
            clients[i % clients.length]!.request(`cred.session.${session}.${verb}`, json(body), { timeoutMs: 3000 }).then(
              (data) => `${verb}:${outcome(data)}`,
              (error: unknown) => `${verb}:${error instanceof NoResponders ? "no responders" : String(error)}`,
            ),
          ),
        );
        for (const o of outcomes) tally[o] = (tally[o] ?? 0) + 1;
      }
      const allowed = ["logout:ok", "logout:no responders", "call:ok", "call:SessionEnded", "call:no responders"];
      expect(Object.keys(tally).filter((o) => !allowed.includes(o))).toEqual([]);
    });

    it("runs the avatar's logout exactly once on a double logout", async () => {
      const realm = new TestRealm(["echo"]);
      await portal({ realm });
      const b = await bus();
      const { session } = await login(b);
      const [first, second] = await Promise.all([
        request(b, `cred.session.${session}.logout`, {}),
        request(b, `cred.session.${session}.logout`, {}),
      ]);
      expect(first).toEqual({ ok: true });
      expect(second).toEqual({ ok: true });
      expect(realm.avatars[0]!.logouts).toBe(1);
    });

    it("refuses logins with LoginFailed while the portal holds maxSessions live sessions, and takes them again once one ends", async () => {
      await portal({ maxSessions: 2 });
      const b = await bus();
      const first = await login(b);
      expect((await login(b))["ok"]).toBe(true);
      expect((await login(b))["error"]).toEqual({ code: "LoginFailed", message: "this portal holds as many sessions as it may; try again later" });
      expect(await request(b, `cred.session.${first["session"]}.logout`, {})).toEqual({ ok: true });
      expect((await login(b))["ok"]).toBe(true);
      await expect(portal({ maxSessions: 0 })).rejects.toThrow(RangeError);
      await expect(portal({ maxSessions: 1.5 })).rejects.toThrow(RangeError);
    });

    it("gives two concurrent logins two distinct sessions and avatars", async () => {
      const realm = new TestRealm(["echo"]);
      await portal({ realm });
      const b = await bus();
      const [a, c] = await Promise.all([login(b), login(b)]);
      expect(a["session"]).not.toBe(c["session"]);
      expect(realm.avatars).toHaveLength(2);
      expect(realm.avatars[0]).not.toBe(realm.avatars[1]);
    });

    it("ends every session with `shutdown` and logs its avatar out when the portal closes", async () => {
      const realm = new TestRealm(["echo"]);
      const service = await portal({ realm });
      const b = await bus();
      const mind = b.inbox();
      const reasons: string[] = [];
      b.subscribe(mind, (m) => void reasons.push(parse(m.data)["reason"]));
      await login(b, { mind });
      await login(b, { mind });
      await service.close();
      await waitFor(() => reasons.length === 2);
      expect(reasons).toEqual(["shutdown", "shutdown"]);
      expect(realm.avatars.map((a) => a.logouts)).toEqual([1, 1]);
      expect(service.sessions).toBe(0);
    });

    it("releases an avatar that arrives after the portal gave up on the login", async () => {
      const realm = new TestRealm(["echo"], 300);
      await portal({ realm, timeouts: { realmMs: 100 } });
      const reply = await login(await bus());
      expect(reply["error"].code).toBe("LoginFailed");
      await waitFor(() => realm.avatars.length === 1);
      await waitFor(() => realm.avatars[0]!.logouts === 1);
    });

    it("finishes a login still in its realm step when the portal closes, then ends the session with shutdown", async () => {
      const realm = new TestRealm(["echo"], 300);
      const service = await portal({ realm });
      const b = await bus();
      const mind = b.inbox();
      const ended: Array<Record<string, any>> = [];
      b.subscribe(mind, (m) => void ended.push(parse(m.data)));
      await b.flush();
      const pending = login(b, { mind });
      await sleep(50);
      await service.close();
      const reply = await pending;
      expect(reply.ok).toBe(true);
      expect(realm.avatars[0]!.logouts).toBe(1);
      await waitFor(() => ended.some((m) => m.type === "ended"));
      expect(ended.find((m) => m.type === "ended")).toMatchObject({ type: "ended", reason: "shutdown" });
    });
  });
}
