/** The runtime suite, over every transport: realm services (avatars in other processes; realms that die, stall or stop; what portals and realms ask each other). */
import { describe, expect, it } from "vitest";
import type { Bus } from "../../../transports/bus.ts";
import { NoResponders } from "../../../transports/errors.ts";
import {
  connect,
  InMemoryUsernamePasswordDatabaseDontUse,
  LoginFailed,
  NoSuchInterface,
  Portal,
  RemoteRealm,
  servePortal,
  serveRealm,
  SimpleRealm,
  UnauthorizedLogin,
  UsernamePassword,
} from "../../../actors/index.ts";
import { newIdentifier } from "../../../actors/wire/identifiers.ts";
import { TestRealm } from "../../support/test-realm.ts";
import { type Network, json, parse, sleep, waitFor } from "../../support/wire.ts";
import { SESSION_ENDED, runtimeHarness } from "./runtime-harness.ts";

export function runtimeRealmsContract(name: string, makeNetwork: () => Promise<Network>): void {
  describe(`runtime over ${name}: realms`, () => {
    const { network, services, bus, checker, portal, endedOn, request, playProtocolRealm, playRealm, login, answersTo } = runtimeHarness(makeNetwork);

    it("ends a remote-realm session whose avatar was released behind the portal's back, so calls never meet silence", async () => {
      const realm = new TestRealm(["echo"]);
      const realms = await serveRealm(await bus(), realm, { name: "game" });
      services.push(realms);
      const service = await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const mind = b.inbox();
      const reasons: string[] = [];
      b.subscribe(mind, (m) => void reasons.push(parse(m.data)["reason"]));
      const { session } = await login(b, { mind });
      expect(await request(b, `cred.session.${session}.release`, {})).toMatchObject({ ok: true });
      // `ended` is published after the session's subscription is gone: wait on the wire, not on local state.
      await waitFor(() => reasons.length === 1);
      expect(reasons).toEqual(["logout"]);
      expect(service.sessions).toBe(0);
      expect(await request(b, `cred.session.${session}.call`, { method: "whoami" })).toMatchObject(SESSION_ENDED);
      // The realm let go of the subject; the portal's ended session answers a second release (an
      // outside fuzzer got silence here for the 5 s the subscription lingers).
      expect(await request(b, `cred.session.${session}.release`, {})).toMatchObject(SESSION_ENDED);
      expect(realm.avatars[0]!.logouts).toBe(1);
    });

    /** A realm service on its own connection, a portal using it, and a client with a mind that records `ended`. */
    async function realmThatWillDie(checkEveryMs: number, confirmMs: number) {
      const realm = new TestRealm(["echo"]);
      // Closed by the test without stopping the service: the process is gone, nothing is
      // released and nobody sends `failed`.
      const realmBus = await network.connect();
      const realms = await serveRealm(realmBus, realm, { name: "game" });
      const service = await portal({ realm: new RemoteRealm(await bus(), "game", { instanceWatch: { checkEveryMs, confirmMs } }) });
      const b = await bus();
      const { mind, ended } = endedOn(b);
      const sessions = [(await login(b, { mind }))["session"] as string, (await login(b, { mind }))["session"] as string];
      expect(realms.hosted).toBe(2);
      return { realmBus, service, b, ended, sessions };
    }

    it("answers calls whose realm process died, never with silence: AvatarError while unconfirmed, then the sessions end with `avatar-failed`", async () => {
      // No periodic check in this test's time: the calls themselves find the realm gone.
      const { realmBus, service, b, ended, sessions } = await realmThatWillDie(60_000, 500);
      const [calling, idle] = sessions as [string, string];
      expect(await request(b, `cred.session.${calling}.call`, { method: "whoami" })).toEqual({ ok: true, result: "alice" });
      await realmBus.close();
      await sleep(300); // past the 250 ms in which the check that call made is trusted
      const started = performance.now();
      // No responders could be a reconnect: unreachable, said at once, not waited out.
      expect(await request(b, `cred.session.${calling}.call`, { method: "whoami" })).toEqual({
        ok: false,
        error: { code: "AvatarError", message: expect.stringContaining("not reachable") },
      });
      expect(performance.now() - started).toBeLessThan(2000); // a silent call would wait out the 5 s timeout
      // Still without responders 500 ms later: gone. Every session on that process ends, the idle one too.
      await waitFor(() => ended.length === 2, 3000);
      expect(ended).toEqual(
        expect.arrayContaining([
          { session: calling, reason: "avatar-failed" },
          { session: idle, reason: "avatar-failed" },
        ]),
      );
      expect(service.sessions).toBe(0);
      expect(await request(b, `cred.session.${idle}.ping`, {})).toMatchObject(SESSION_ENDED);
    });

    it("passes on a realm service's NoSuchInterface and LoginFailed, and makes any other error code LoginFailed, releasing the session", async () => {
      // An outside probe's realm answered the avatar request with SessionEnded, UnauthorizedLogin,
      // RateLimited…: the client got each, as if its credentials or session had been judged.
      const b = await bus();
      const released: string[] = [];
      b.subscribe("cred.realm.game.avatar", (m) => {
        const { avatarId } = parse(m.data);
        const code = avatarId === "alice" ? "NoSuchInterface" : avatarId === "bob" ? "LoginFailed" : "SessionEnded";
        m.respond(json({ ok: false, error: { code, message: `${code} from the realm` } }));
      });
      b.subscribe("cred.session.*.release", (m) => {
        released.push(m.subject.split(".")[2]!);
        if (m.reply) m.respond(json({ ok: true }));
      });
      await b.flush();
      await portal({
        realm: new RemoteRealm(await bus(), "game"),
        checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret", bob: "hunter2", carol: "pw", dave: "pw" })],
      });
      expect(await login(b)).toEqual({ ok: false, error: { code: "NoSuchInterface", message: "NoSuchInterface from the realm" } });
      const bob = { credentials: { kind: "username-password", username: "bob", password: "hunter2" } };
      // A realm's own refusal (Twisted's LoginDenied) keeps its message: the realm wrote it for clients.
      expect(await login(b, bob)).toEqual({ ok: false, error: { code: "LoginFailed", message: "LoginFailed from the realm" } });
      expect(released).toEqual([]);
      for (const username of ["carol", "dave"]) {
        expect(await login(b, { credentials: { kind: "username-password", username, password: "pw" } })).toEqual({ ok: false, error: { code: "LoginFailed", message: "realm game failed" } });
      }
      await waitFor(() => released.length === 2);
    });

    /** A realm built from PROTOCOL.md alone (no instance) that answers calls: `echo`, and BadRequest for a call without a method. */
    const playCallingProtocolRealm = async (b: Bus, delayMs = 0) => {
      const bodies: unknown[] = [];
      b.subscribe("cred.realm.game.avatar", (m) => void m.respond(json({ ok: true, interface: "echo" })));
      b.subscribe("cred.session.*.call", (m) => {
        const body = parse(m.data);
        bodies.push(body);
        if (typeof body["method"] !== "string") return void m.respond(json({ ok: false, error: { code: "BadRequest", message: "method: required" } }));
        setTimeout(() => {
          try {
            m.respond(json({ ok: true, result: body["args"]?.[0] }));
          } catch {
            // The realm's connection closed meanwhile (a test's "death"): nothing to answer with.
          }
        }, delayMs);
      });
      b.subscribe("cred.session.*.release", (m) => void m.respond(json({ ok: true })));
      await b.flush();
      return bodies;
    };

    const probeFast = { callProbe: { timeoutMs: 200, freshMs: 100, goneAfterMs: 1_000 } };

    it("ends the sessions of a realm that named no instance once its process answers nothing on their call subject for goneAfterMs, then answers their calls SessionEnded", async () => {
      // An outside probe killing a Python realm built from PROTOCOL.md saw every call to its
      // sessions meet silence for as long as the clients kept them alive.
      const realmBus = await bus();
      await playCallingProtocolRealm(realmBus);
      await portal({ realm: new RemoteRealm(await bus(), "game", probeFast) });
      const b = await bus();
      const { mind, ended } = endedOn(b);
      await b.flush();
      const { session } = await login(b, { mind });
      expect(await request(b, `cred.session.${session}.call`, { method: "echo", args: [1] })).toEqual({ ok: true, result: 1 });
      await realmBus.close();
      // The first call after the death meets silence: nothing yet tells a dead realm from a busy one.
      await expect(b.request(`cred.session.${session}.call`, json({ method: "echo", args: [2] }), { timeoutMs: 300 })).rejects.toThrow();
      await waitFor(() => ended.length > 0, 3_000);
      expect(ended).toEqual([{ session, reason: "avatar-failed" }]);
      // At once: not after the 5 s the release (heard only by the portal's own subscription) may take.
      const answered = parse(await b.request(`cred.session.${session}.call`, json({ method: "echo", args: [3] }), { timeoutMs: 1_500 }));
      expect(answered).toMatchObject(SESSION_ENDED);
    });

    it("sends a release the realm process did not answer again until it answers: an avatar whose release was lost (its realm reconnecting) is still logged out", async () => {
      // An outside probe: a logout during a 3 s cut of a PROTOCOL.md-only realm's connection lost
      // the one release, and the avatar answered `ok` to calls of the ended session for good.
      const realmBus = await bus();
      const heard: string[] = [];
      const released: string[] = [];
      realmBus.subscribe("cred.realm.game.avatar", (m) => void m.respond(json({ ok: true, interface: "echo" })));
      realmBus.subscribe("cred.session.*.release", (m) => {
        const session = m.subject.split(".")[2]!;
        heard.push(session);
        // Deaf to the first two (the order, and its first copy while the portal's subscription
        // of the ended session still lingers): lost, as while reconnecting.
        if (heard.length <= 2) return;
        released.push(session);
        m.respond(json({ ok: true }));
      });
      await realmBus.flush();
      await portal({ realm: new RemoteRealm(await bus(), "game", { releaseRetries: { delaysMs: [100, 100, 100, 100], timeoutMs: 200 } }) });
      const b = await bus();
      const { session } = await login(b);
      expect(parse(await b.request(`cred.session.${session}.logout`, json({}), { timeoutMs: 8_000 }))).toEqual({ ok: true });
      await waitFor(() => released.length > 0, 3_000);
      expect(released).toEqual([session]);
      expect(heard).toEqual([session, session, session]);
      // Answered: no more copies.
      await sleep(500);
      expect(heard).toHaveLength(3);
    }, 20_000);

    it("ends the sessions of a realm that named no instance within seconds, not goneAfterMs, once no process serves the realm at all", async () => {
      // goneAfterMs stays at its 30 s: what ends the session is nobody serving P.realm.NAME.avatar.
      const realmBus = await bus();
      await playCallingProtocolRealm(realmBus);
      await portal({ realm: new RemoteRealm(await bus(), "game", { callProbe: { timeoutMs: 200, freshMs: 100, unservedConfirmMs: 400 } }) });
      const b = await bus();
      const { mind, ended } = endedOn(b);
      await b.flush();
      const { session } = await login(b, { mind });
      expect(await request(b, `cred.session.${session}.call`, { method: "echo", args: [1] })).toEqual({ ok: true, result: 1 });
      await realmBus.close();
      const diedAt = performance.now();
      await expect(b.request(`cred.session.${session}.call`, json({ method: "echo", args: [2] }), { timeoutMs: 300 })).rejects.toThrow();
      await waitFor(() => ended.length > 0, 4_000);
      expect(ended).toEqual([{ session, reason: "avatar-failed" }]);
      expect(performance.now() - diedAt).toBeLessThan(4_000);
      expect(parse(await b.request(`cred.session.${session}.call`, json({ method: "echo", args: [3] }), { timeoutMs: 1_500 }))).toMatchObject(SESSION_ENDED);
    });

    it("answers SessionEnded, once its realm (named no instance) is found gone, to a call sent while the portal's first unanswered probe was out, rather than leaving it to silence", async () => {
      // An outside probe killing a realm built from PROTOCOL.md saw a call sent 6 s after the
      // death, while such a probe was out, never answered, though the session ended at 12 s.
      const realmBus = await bus();
      await playCallingProtocolRealm(realmBus);
      await portal({ realm: new RemoteRealm(await bus(), "game", { callProbe: { timeoutMs: 1_000, freshMs: 500, unservedConfirmMs: 600 } }) });
      const b = await bus();
      const { mind, ended } = endedOn(b);
      await b.flush();
      const { session } = await login(b, { mind });
      expect(await request(b, `cred.session.${session}.call`, { method: "echo", args: [1] })).toEqual({ ok: true, result: 1 });
      await realmBus.close();
      const { answers, call: publishCall } = answersTo(b);
      const call = (n: number) => publishCall(session, { method: "echo", args: [n] });
      // The portal's probes are `{}` on the session's call subject: the call goes right after the
      // next one is heard here, so it is routed after the probe, which nothing will answer.
      let sent: string | undefined;
      b.subscribe(`cred.session.${session}.call`, (m) => {
        if (sent === undefined && Object.keys(parse(m.data)).length === 0) sent = call(3);
      });
      await b.flush();
      // A call after the death: the probe that follows it (freshMs after the last) is the one.
      call(2);
      await waitFor(() => sent !== undefined, 3_000);
      await waitFor(() => ended.length > 0, 6_000);
      expect(ended).toEqual([{ session, reason: "avatar-failed" }]);
      await waitFor(() => answers.get(sent!)!.length > 0, 2_000);
      await sleep(100);
      expect(answers.get(sent!)).toEqual(["SessionEnded"]);
    });

    it("orders a release from a realm that named no instance and answered no probe for goneAfterMs, so one that was only stalled lets go when it wakes", async () => {
      const realmBus = await bus();
      const released: string[] = [];
      let stalled = false;
      realmBus.subscribe("cred.realm.game.avatar", (m) => void m.respond(json({ ok: true, interface: "echo" })));
      realmBus.subscribe("cred.session.*.call", (m) => {
        if (!stalled) m.respond(json({ ok: false, error: { code: "BadRequest", message: "method: required" } }));
      });
      realmBus.subscribe("cred.session.*.release", (m) => void (m.reply !== undefined && released.push(m.subject.split(".")[2]!)));
      await realmBus.flush();
      await portal({ realm: new RemoteRealm(await bus(), "game", probeFast) });
      const b = await bus();
      const { mind, ended } = endedOn(b);
      await b.flush();
      const { session } = await login(b, { mind });
      stalled = true;
      b.publish(`cred.session.${session}.call`, json({ method: "echo", args: [1] }), { reply: b.inbox() });
      await waitFor(() => ended.length > 0, 3000);
      expect(ended).toEqual([{ session, reason: "avatar-failed" }]);
      await waitFor(() => released.length > 0, 2000);
      expect(released).toEqual([session]);
    });

    it("ends a session that only pings once its realm, named no instance, answers no probe for goneAfterMs", async () => {
      const realmBus = await bus();
      await playCallingProtocolRealm(realmBus);
      await portal({ realm: new RemoteRealm(await bus(), "game", { callProbe: { timeoutMs: 100, freshMs: 100, goneAfterMs: 500 } }) });
      const b = await bus();
      const { mind, ended } = endedOn(b);
      await b.flush();
      const { session } = await login(b, { mind });
      await realmBus.close();
      const started = performance.now();
      while (ended.length === 0 && performance.now() - started < 4_000) {
        await request(b, `cred.session.${session}.ping`, {});
        await sleep(100);
      }
      expect(ended).toEqual([{ session, reason: "avatar-failed" }]);
    });

    it("keeps the sessions of a live realm that named no instance, however slow its calls: it answers the portal's probes", async () => {
      const realmBus = await bus();
      const bodies = await playCallingProtocolRealm(realmBus, 1_500);
      const service = await portal({ realm: new RemoteRealm(await bus(), "game", probeFast) });
      const b = await bus();
      const { mind, ended } = endedOn(b);
      await b.flush();
      const { session } = await login(b, { mind });
      // Three slow calls over about 2.5 s, longer than goneAfterMs, with the session kept alive by pings.
      for (let i = 0; i < 3; i++) {
        const answer = request(b, `cred.session.${session}.call`, { method: "echo", args: [i] });
        await sleep(800);
        expect(await request(b, `cred.session.${session}.ping`, {})).toEqual({ ok: true });
        expect(await answer).toEqual({ ok: true, result: i });
      }
      expect(ended).toEqual([]);
      expect(service.sessions).toBe(1);
      // The portal did ask, with `{}`, which the realm refused as PROTOCOL.md says it must.
      expect(bodies).toContainEqual({});
    });

    it("answers a call sent the moment its realm process died, while the portal still trusts its last answer: AvatarError, not silence", async () => {
      const { realmBus, b, sessions } = await realmThatWillDie(60_000, 60_000);
      const session = sessions[0]!;
      // This call's check is answered: the portal trusts the realm for the next 250 ms.
      expect(await request(b, `cred.session.${session}.call`, { method: "whoami" })).toEqual({ ok: true, result: "alice" });
      await realmBus.close();
      const started = performance.now();
      expect(await request(b, `cred.session.${session}.call`, { method: "whoami" })).toMatchObject({
        ok: false,
        error: { code: "AvatarError", message: expect.stringContaining("not reachable") },
      });
      // Under the request's 5 s: a check that met the dying process times out (2 s) and is asked once more.
      expect(performance.now() - started).toBeLessThan(4000);
    });

    it("answers a call whose realm process stops answering questions and then vanishes: AvatarError once it is found unreachable, never silence", async () => {
      // Outside probe: calls in flight when a realm was SIGKILLed met silence in 3 kills of 6; its
      // subscriptions outlived it a moment, so the portal's question timed out and it stayed quiet.
      const b = await bus();
      let dying = false;
      b.subscribe("cred.realm.game.avatar", (m) => void m.respond(json({ ok: true, interface: "echo", instance: "dying" })));
      const instance = b.subscribe("cred.realm.game.instance.dying", (m) => {
        if (!dying) m.respond(json(parse(m.data)["sessions"] ? { ok: true, ended: [] } : { ok: true }));
      });
      const calls = b.subscribe("cred.session.*.call", () => {
        // Takes the call and dies with it: questions go unanswered, then it is gone.
        dying = true;
        setTimeout(() => {
          instance.unsubscribe();
          calls.unsubscribe();
        }, 2500);
      });
      await b.flush();
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const { session } = await login(b);
      const reply = parse(await b.request(`cred.session.${session}.call`, json({ method: "whoami" }), { timeoutMs: 15_000 }));
      expect(reply).toMatchObject({ ok: false, error: { code: "AvatarError", message: expect.stringContaining("not reachable") } });
    }, 20_000);

    it("never contradicts a realm that took a call before letting go of its session: the client gets the realm's one answer", async () => {
      // A realm service played on the wire: it says it no longer hosts the session (it is letting
      // go), yet answers the call it took, late. A SessionEnded from the portal first would have
      // told the client the call did not run (an outside probe saw exactly that).
      const b = await bus();
      await playRealm(b, "letting-go", false);
      b.subscribe("cred.session.*.call", (m) => void setTimeout(() => m.respond(json({ ok: true, result: "done" })), 300));
      b.subscribe("cred.session.*.release", (m) => void m.respond(json({ ok: true })));
      await b.flush();
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const { session } = await login(b);
      const inbox = b.inbox();
      const answers: unknown[] = [];
      b.subscribe(inbox, (m) => void answers.push(parse(m.data)));
      await b.flush();
      b.publish(`cred.session.${session}.call`, json({ method: "whoami" }), { reply: inbox });
      await sleep(600);
      expect(answers).toEqual([{ ok: true, result: "done" }]);
    });

    it("publishes a timed-out session's `ended` within 3 × heartbeatMs + 1 s even when its realm (built from PROTOCOL.md alone, no instance) never answers the release", async () => {
      // A realm process gone without a word: nothing answers the release, and NATS cannot say
      // no-responders (the portal's own P.session.ID.> matches it). Outside probe: `ended` came
      // 5 s after the timeout, past the protocol's bound.
      const b = await bus();
      await playProtocolRealm(b);
      const heartbeatMs = 200;
      await portal({ realm: new RemoteRealm(await bus(), "game"), heartbeatMs });
      const { mind, ended } = endedOn(b);
      await b.flush();
      const { session } = await login(b, { mind });
      const lastActivity = performance.now();
      await waitFor(() => ended.length > 0, 3 * heartbeatMs + 1000 + 500);
      expect(ended).toEqual([{ session, reason: "timeout" }]);
      expect(performance.now() - lastActivity).toBeLessThanOrEqual(3 * heartbeatMs + 1000);
    });

    it("keeps `ended` last after a logout asked for, even when the realm's release takes longer than a timed-out session's logout may", async () => {
      // Outside re-run: with a short heartbeat the logout stopped waiting at heartbeatMs/2 + 700 ms,
      // and the realm's last notification, sent before it answered the release, came after `ended`.
      const b = await bus();
      const minds = new Map<string, string>();
      b.subscribe("cred.realm.game.avatar", (m) => {
        const request = parse(m.data);
        minds.set(request["session"], request["mind"]);
        m.respond(json({ ok: true, interface: "echo" }));
      });
      b.subscribe("cred.session.*.release", (m) => {
        const session = m.subject.split(".")[2]!;
        setTimeout(() => {
          b.publish(minds.get(session)!, json({ session, type: "notify", event: "bye", data: null }));
          m.respond(json({ ok: true }));
        }, 1200);
      });
      await b.flush();
      await portal({ realm: new RemoteRealm(await bus(), "game"), heartbeatMs: 200 });
      const mind = b.inbox();
      const heard: string[] = [];
      b.subscribe(mind, (m) => void heard.push(String(parse(m.data)["type"] === "ended" ? "ended" : parse(m.data)["event"])));
      await b.flush();
      const { session } = await login(b, { mind });
      expect(await request(b, `cred.session.${session}.logout`, {})).toEqual({ ok: true });
      await waitFor(() => heard.includes("ended"));
      expect(heard).toEqual(["bye", "ended"]);
    });

    it("refuses a realm's `failed` whose body is garbage, and leaves the session as it was", async () => {
      const b = await bus();
      await playProtocolRealm(b);
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const { session } = await login(b);
      const reply = parse(await b.request(`cred.session.${session}.failed`, new TextEncoder().encode("not json")));
      expect(reply).toMatchObject({ ok: false, error: { code: "BadRequest" } });
      expect(await request(b, `cred.session.${session}.ping`, {})).toEqual({ ok: true });
    });

    it("ends a session with `avatar-failed` at once on a realm's `failed` sent as a plain publish, without waiting on a release nobody answers", async () => {
      // Outside probe: a published `failed` was ignored, and one sent as a request waited out the
      // release (5 s) that a realm whose supervisor gave up does not answer.
      const b = await bus();
      await playProtocolRealm(b);
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const { mind, ended } = endedOn(b);
      await b.flush();
      const { session } = await login(b, { mind });
      const started = performance.now();
      b.publish(`cred.session.${session}.failed`, json({}));
      await waitFor(() => ended.length > 0, 3000);
      expect(ended).toEqual([{ session, reason: "avatar-failed" }]);
      expect(performance.now() - started).toBeLessThan(1000);
    });

    it("sends a release when the realm's answer to an avatar request is garbage: whatever it made is not left behind", async () => {
      const b = await bus();
      const releases: string[] = [];
      b.subscribe("cred.realm.game.avatar", (m) => void m.respond(new TextEncoder().encode("<html>oops</html>")));
      b.subscribe("cred.session.*.release", (m) => {
        releases.push(m.subject.split(".")[2]!);
        m.respond(json({ ok: true }));
      });
      await b.flush();
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      expect(await login(b)).toMatchObject({ ok: false, error: { code: "LoginFailed" } });
      await waitFor(() => releases.length > 0);
      expect(releases).toHaveLength(1);
      expect(releases[0]).toMatch(/^[A-Za-z0-9_-]{22}$/);
    });

    it("sends a release when the realm's error reply is malformed (no code, or one outside the closed set), but not for a well-formed refusal", async () => {
      const malformed = [{ ok: false }, { ok: false, error: "nope" }, { ok: false, error: { code: 3, message: "x" } }, { ok: false, error: { code: "Weird", message: "x" } }, { ok: "yes" }];
      const b = await bus();
      let answer: unknown;
      const releases: string[] = [];
      b.subscribe("cred.realm.game.avatar", (m) => void m.respond(json(answer)));
      b.subscribe("cred.session.*.release", (m) => {
        releases.push(m.subject.split(".")[2]!);
        m.respond(json({ ok: true }));
      });
      await b.flush();
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      for (const [i, reply] of malformed.entries()) {
        answer = reply;
        expect(await login(b)).toMatchObject({ ok: false, error: { code: "LoginFailed" } });
        await waitFor(() => releases.length === i + 1);
      }
      answer = { ok: false, error: { code: "NoSuchInterface", message: "none of those" } };
      expect(await login(b)).toMatchObject({ ok: false, error: { code: "NoSuchInterface" } });
      await sleep(200);
      expect(releases).toHaveLength(malformed.length);
    });

    it("finishes a logout at once when the realm process says it no longer hosts the session and its release notice was lost", async () => {
      // As a login that finished while its realm was stopping: the realm's shutdown notice went out
      // before the portal subscribed the session, and the realm never answers the release.
      const b = await bus();
      await playRealm(b, "stopped", false);
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const { session } = await login(b);
      const started = performance.now();
      expect(await request(b, `cred.session.${session}.logout`, {})).toEqual({ ok: true });
      expect(performance.now() - started).toBeLessThan(2000);
    });

    it("answers every call a realm service took before it stopped, even slow ones, rather than dropping them with its connection", async () => {
      class Slow {
        async slow(ms: number): Promise<string> {
          await sleep(ms);
          return "done";
        }
      }
      const realmBus = await network.connect();
      const realms = await serveRealm(realmBus, { requestAvatar: () => ({ interface: "echo", avatar: new Slow(), logout: () => undefined }) }, { name: "game" });
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const sessions = await Promise.all(Array.from({ length: 5 }, async () => (await login(b))["session"] as string));
      const calls = sessions.map((session) => request(b, `cred.session.${session}.call`, { method: "slow", args: [300] }));
      await sleep(100); // the calls are running at the realm
      // What `portcullis realm` does on SIGTERM (an outside probe saw every such call time out).
      await realms.stop();
      await realmBus.drain();
      expect(await Promise.all(calls)).toEqual(sessions.map(() => ({ ok: true, result: "done" })));
    });

    it("numbers `ended` after the last notification the realm service numbered, at a logout and when the realm stops", async () => {
      const realmBus = await network.connect();
      const realms = await serveRealm(realmBus, new TestRealm(["echo"]), { name: "game" });
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const mind = b.inbox();
      const seen: Array<Record<string, any>> = [];
      b.subscribe(mind, (m) => void seen.push(parse(m.data)));
      const first = (await login(b, { mind }))["session"] as string;
      const second = (await login(b, { mind }))["session"] as string;
      for (const text of ["a", "b"]) await request(b, `cred.session.${first}.call`, { method: "announce", args: [text] });
      await request(b, `cred.session.${second}.call`, { method: "announce", args: ["c"] });
      expect(await request(b, `cred.session.${first}.logout`, {})).toEqual({ ok: true });
      await realms.stop();
      await realmBus.drain();
      await waitFor(() => seen.filter((n) => n["type"] === "ended").length === 2);
      const of = (session: string) => seen.filter((n) => n["session"] === session).map((n) => [n["event"] ?? n["reason"], n["seq"]]);
      expect(of(first)).toEqual([
        ["announce", 1],
        ["announce", 2],
        ["logout", 3],
      ]);
      expect(of(second)).toEqual([
        ["announce", 1],
        ["shutdown", 2],
      ]);
    });

    it("leaves `seq` off `ended` when the realm service did not say its last number (one built from PROTOCOL.md alone)", async () => {
      const realmBus = await bus();
      await playProtocolRealm(realmBus);
      realmBus.subscribe("cred.session.*.release", (m) => void m.respond(json({ ok: true })));
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const mind = b.inbox();
      const seen: Array<Record<string, any>> = [];
      b.subscribe(mind, (m) => void seen.push(parse(m.data)));
      const { session } = await login(b, { mind });
      expect(await request(b, `cred.session.${session}.logout`, {})).toEqual({ ok: true });
      await waitFor(() => seen.length === 1);
      expect(seen).toEqual([{ session, type: "ended", reason: "logout" }]);
    });

    it("answers a release still under way when its realm service stops and drains, so the logout does not wait out the release's 5 s", async () => {
      const realmBus = await network.connect();
      // An avatar whose logout takes a while: the realm is still releasing it when it is told to stop.
      const slowRealm = { requestAvatar: () => ({ interface: "echo", avatar: {}, logout: async () => void (await sleep(300)) }) };
      const realms = await serveRealm(realmBus, slowRealm, { name: "game" });
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const { session } = await login(b);
      const started = performance.now();
      const logout = request(b, `cred.session.${session}.logout`, {});
      await sleep(50); // the release is at the realm, waiting on the avatar's logout
      // What `portcullis realm` does on SIGTERM.
      await realms.stop();
      await realmBus.drain();
      expect(await logout).toEqual({ ok: true });
      expect(performance.now() - started).toBeLessThan(2000);
    });

    it("finishes a logout whose release crossed the realm's own release notice (a stopping realm) at once, not after the release's 5 s wait", async () => {
      // A realm service played on the wire that is stopping: it never answers the portal's
      // release, and publishes its own notice instead, as a realm that let go a moment before does.
      const b = await bus();
      await playRealm(b, "stopping", true);
      b.subscribe("cred.session.*.release", (m) => {
        if (m.reply !== undefined) setTimeout(() => b.publish(m.subject, json({ reason: "shutdown" })), 50);
      });
      await b.flush();
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const { session } = await login(b);
      const started = performance.now();
      expect(await request(b, `cred.session.${session}.logout`, {})).toEqual({ ok: true });
      expect(performance.now() - started).toBeLessThan(2000);
    });

    it("ends a session whose realm process is unreachable promptly when it times out: no release left waiting on nobody", async () => {
      const realmBus = await network.connect();
      await serveRealm(realmBus, new TestRealm(["echo"]), { name: "game" });
      await portal({
        realm: new RemoteRealm(await bus(), "game", { instanceWatch: { checkEveryMs: 60_000, confirmMs: 60_000, timeoutMs: 200 } }),
        heartbeatMs: 200,
      });
      const b = await bus();
      const { mind, ended } = endedOn(b);
      const { session } = await login(b, { mind });
      await realmBus.close();
      // The call finds the realm unreachable (not yet gone: confirmMs is a minute).
      const calledAt = performance.now();
      expect(await request(b, `cred.session.${session}.call`, { method: "whoami" })).toMatchObject({ ok: false, error: { code: "AvatarError" } });
      await waitFor(() => ended.length === 1, 6000);
      expect(ended.map((e) => e.reason)).toEqual(["timeout"]);
      // 2.5 × 200 ms after the call, plus a check or two; not the 5 s of a release nobody answers.
      expect(performance.now() - calledAt).toBeLessThan(2500);
    });

    it("ends the sessions of a realm process that died with `avatar-failed` even when nobody calls, from the periodic check", async () => {
      const { realmBus, service, b, ended, sessions } = await realmThatWillDie(100, 200);
      await realmBus.close();
      // Pings keep a session alive, but not one whose avatar is gone.
      await request(b, `cred.session.${sessions[0]}.ping`, {}).catch(() => undefined);
      await waitFor(() => ended.length === 2, 3000);
      expect(ended.map((e) => e.reason)).toEqual(["avatar-failed", "avatar-failed"]);
      expect(service.sessions).toBe(0);
    });

    it("logs out, at the realm service, the avatars of a portal process that dies (its connection closed, nothing released), and ends their Minds with `avatar-failed`", async () => {
      const realm = new TestRealm(["echo"]);
      const realms = await serveRealm(await bus(), realm, { name: "game", portalWatch: { checkEveryMs: 100, confirmMs: 1000 } });
      services.push(realms);
      const portalBus = await network.connect();
      // Not in `services`: this portal's process "dies" with its connection, it is never closed.
      const dying = await servePortal(portalBus, {
        realm: new RemoteRealm(portalBus, "game"),
        checkers: [checker()],
        heartbeatMs: 60_000,
      });
      const b = await bus();
      const notices: Array<{ subject: string; reason: unknown }> = [];
      b.subscribe("cred.session.*.release", (m) => void notices.push({ subject: m.subject, reason: parse(m.data)["reason"] }));
      const { mind, ended } = endedOn(b);
      const notes: string[] = [];
      b.subscribe(mind, (m) => void notes.push(parse(m.data)["type"]));
      const sessions = [(await login(b, { mind }))["session"], (await login(b))["session"]];
      expect(realms.hosted).toBe(2);
      expect(await request(b, `cred.portal.${dying.instance}`, {})).toEqual({ ok: true });
      await portalBus.close();
      await sleep(200); // a request racing the death itself may be lost with the process
      // Ping and logout belong to the dead portal: nobody answers them, and NATS says so at once.
      for (const verb of ["ping", "logout"]) {
        await expect(b.request(`cred.session.${sessions[0]}.${verb}`, json({}), { timeoutMs: 2000 })).rejects.toBeInstanceOf(NoResponders);
      }
      // Calls no longer act as if all were well once the realm finds the portal without responders.
      let answer: Record<string, any> = {};
      for (let i = 0; i < 40 && answer["error"]?.code !== "AvatarError"; i++) {
        answer = await request(b, `cred.session.${sessions[0]}.call`, { method: "whoami" }).catch(() => ({}));
        if (answer["error"]?.code !== "AvatarError") await sleep(20);
      }
      expect(answer).toEqual({ ok: false, error: { code: "AvatarError", message: "the portal hosting the session is not reachable; try again" } });
      await waitFor(() => realms.hosted === 0, 3000);
      expect(realm.avatars.map((a) => a.logouts)).toEqual([1, 1]);
      // Nobody else is left to tell the Mind: the realm service says it, with the reason a portal
      // that was only cut off would give, and nothing follows.
      await waitFor(() => ended.length === 1);
      expect(ended).toEqual([{ session: sessions[0], reason: "avatar-failed" }]);
      await sleep(100);
      expect(notes).toEqual(["ended"]);
      // Said on the session's subject too, for a portal that was only cut off (it ends the session).
      await waitFor(() => notices.length === 2);
      expect(notices.sort((x, y) => x.subject.localeCompare(y.subject))).toEqual(
        sessions.map((id) => ({ subject: `cred.session.${id}.release`, reason: "avatar-failed" })).sort((x, y) => x.subject.localeCompare(y.subject)),
      );
    });

    it("answers realm services for a library-face Portal's sessions on P.portal.ID, so they log out its avatars once its process dies", async () => {
      const realm = new TestRealm(["echo"]);
      const realms = await serveRealm(await bus(), realm, { name: "game", portalWatch: { checkEveryMs: 100, confirmMs: 1000 } });
      services.push(realms);
      const b = await bus();
      const asked: Array<Record<string, any>> = [];
      b.subscribe("cred.realm.game.avatar", (m) => void asked.push(parse(m.data)));
      await b.flush();
      // Not in `services`: this process "dies" with its connection.
      const portalBus = await network.connect();
      const portal = new Portal(new RemoteRealm(portalBus, "game"), [checker()]);
      const first = await portal.login(new UsernamePassword("alice", "secret"), null, "echo");
      await portal.login(new UsernamePassword("alice", "secret"), { notify: () => undefined }, "echo");
      await waitFor(() => asked.length === 2);
      const instance = asked[0]!["portal"] as string;
      expect(asked[1]!["portal"]).toBe(instance);
      const [one, two] = asked.map((r) => r["session"] as string);
      const unknown = newIdentifier();
      expect(await request(b, `cred.portal.${instance}`, { sessions: [one, two, unknown] })).toEqual({ ok: true, ended: [unknown] });
      await first.logout();
      expect(await request(b, `cred.portal.${instance}`, { sessions: [one, two] })).toEqual({ ok: true, ended: [one] });
      expect(realm.avatars.map((a) => a.logouts)).toEqual([1, 0]);
      await portalBus.close();
      await waitFor(() => realms.hosted === 0, 5000);
      expect(realm.avatars.map((a) => a.logouts)).toEqual([1, 1]);
    });

    it("tells a realm service which of the sessions it asks about are over on P.portal.ID, and refuses malformed questions", async () => {
      const service = await portal();
      const b = await bus();
      const { session } = await login(b);
      const unknown = newIdentifier();
      const subject = `cred.portal.${service.instance}`;
      expect(await request(b, subject, {})).toEqual({ ok: true });
      expect(await request(b, subject, { sessions: [session, unknown] })).toEqual({ ok: true, ended: [unknown] });
      for (const sessions of ["x", [7], ["short"], Array.from({ length: 1001 }, () => unknown)]) {
        expect(await request(b, subject, { sessions })).toMatchObject({ ok: false, error: { code: "BadRequest" } });
      }
    });

    it("logs out, at the realm service, an avatar whose portal says its session is over, and only that one", async () => {
      const realm = new TestRealm(["echo"]);
      const realms = await serveRealm(await bus(), realm, { name: "game", reconcile: { everyMs: 50, minAgeMs: 0 } });
      services.push(realms);
      const b = await bus();
      const [over, live, elsewhere] = [newIdentifier(), newIdentifier(), newIdentifier()];
      const asked: string[][] = [];
      // Two portals as the realm sees them on the wire: one whose `over` session ended while the
      // realm missed its release, and one that answers for a session it does not host.
      b.subscribe("cred.portal.portal-a", (m) => {
        const sessions = parse(m.data)["sessions"] as string[] | undefined;
        if (sessions) asked.push(sessions);
        m.respond(json(sessions ? { ok: true, ended: [over, elsewhere] } : { ok: true }));
      });
      b.subscribe("cred.portal.portal-b", (m) => void m.respond(json(parse(m.data)["sessions"] ? { ok: true, ended: [] } : { ok: true })));
      const avatar = (session: string, portalId: string) =>
        request(b, "cred.realm.game.avatar", { avatarId: "alice", anonymous: false, interfaces: ["echo"], session, mind: null, portal: portalId });
      expect(await avatar(over, "portal-a")).toMatchObject({ ok: true });
      expect(await avatar(live, "portal-a")).toMatchObject({ ok: true });
      expect(await avatar(elsewhere, "portal-b")).toMatchObject({ ok: true });
      await waitFor(() => realms.hosted === 2, 2000);
      await sleep(200);
      expect(realms.hosted).toBe(2);
      expect(realm.avatars.map((a) => a.logouts)).toEqual([1, 0, 0]);
      expect(asked.some((sessions) => sessions.includes(live))).toBe(true);
    });

    it("ends, at the portal, a session whose realm service says it no longer hosts the avatar (its release was lost)", async () => {
      const b = await bus();
      // A realm service played on the wire: it grants every avatar, and a minute later (here:
      // at once) says it no longer hosts the first one, as a realm that was cut off would.
      let first: string | undefined;
      b.subscribe(
        "cred.realm.game.avatar",
        (m) => {
          first ??= parse(m.data)["session"];
          m.respond(json({ ok: true, interface: "echo", instance: "fake-realm" }));
        },
        { queue: "cred.realm.game" },
      );
      b.subscribe("cred.realm.game.instance.fake-realm", (m) => {
        const sessions = parse(m.data)["sessions"] as string[] | undefined;
        m.respond(json(sessions ? { ok: true, ended: sessions.filter((id) => id === first) } : { ok: true }));
      });
      const service = await portal({ realm: new RemoteRealm(await bus(), "game", { reconcile: { everyMs: 50, minAgeMs: 0 } }) });
      const { mind, ended } = endedOn(b);
      const gone = (await login(b, { mind }))["session"];
      const kept = (await login(b, { mind }))["session"];
      await waitFor(() => ended.length === 1, 2000);
      await sleep(150);
      expect(ended).toEqual([{ session: gone, reason: "avatar-failed" }]);
      expect(service.sessions).toBe(1);
      expect(await request(b, `cred.session.${kept}.ping`, {})).toEqual({ ok: true });
    });

    it("answers a call whose realm process died holding the portal's check: the check times out, the next finds nobody", async () => {
      const b = await bus();
      // A realm service played on the wire that dies right after taking a call and the check it causes.
      const subs = [
        b.subscribe("cred.realm.game.avatar", (m) => void m.respond(json({ ok: true, interface: "echo", instance: "doomed" })), { queue: "cred.realm.game" }),
        b.subscribe("cred.realm.game.instance.doomed", () => undefined),
      ];
      await portal({ realm: new RemoteRealm(await bus(), "game", { instanceWatch: { timeoutMs: 100, checkEveryMs: 60_000, confirmMs: 60_000 } }) });
      const { session } = await login(b);
      subs.push(b.subscribe(`cred.session.${session}.call`, () => undefined));
      const reply = request(b, `cred.session.${session}.call`, { method: "whoami" });
      await sleep(30);
      for (const sub of subs) sub.unsubscribe();
      expect(await reply).toEqual({ ok: false, error: { code: "AvatarError", message: expect.stringContaining("not reachable") } });
    });

    it("tells a portal which of the sessions it asks about a realm service no longer hosts, on P.realm.NAME.instance.ID", async () => {
      const realms = await serveRealm(await bus(), new TestRealm(["echo"]), { name: "game" });
      services.push(realms);
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const { session } = await login(b);
      const unknown = newIdentifier();
      const subject = `cred.realm.game.instance.${realms.instance}`;
      expect(await request(b, subject, { sessions: [session, unknown] })).toEqual({ ok: true, ended: [unknown] });
      expect(await request(b, subject, { sessions: [7] })).toMatchObject({ ok: false, error: { code: "BadRequest" } });
    });

    it("does not ask a portal about sessions younger than minAgeMs (their login may still be finishing)", async () => {
      const realm = new TestRealm(["echo"]);
      const realms = await serveRealm(await bus(), realm, { name: "game", reconcile: { everyMs: 30, minAgeMs: 60_000 } });
      services.push(realms);
      const b = await bus();
      let questions = 0;
      b.subscribe("cred.portal.portal-a", (m) => {
        if (parse(m.data)["sessions"]) questions++;
        m.respond(json({ ok: true, ended: [] }));
      });
      const session = newIdentifier();
      expect(
        await request(b, "cred.realm.game.avatar", { avatarId: "alice", anonymous: false, interfaces: ["echo"], session, mind: null, portal: "portal-a" }),
      ).toMatchObject({ ok: true });
      await sleep(200);
      expect(questions).toBe(0);
      expect(realms.hosted).toBe(1);
    });

    it("answers, at the realm service alone, every call racing the portal's release: a result, SessionEnded or no-responders, never silence", async () => {
      const realms = await serveRealm(await bus(), new TestRealm(["echo"]), { name: "game" });
      services.push(realms);
      // Played on the wire: the portal's release and the clients' calls arrive from three connections.
      const clients = [await bus(), await bus(), await bus()];
      const tally: Record<string, number> = {};
      for (let round = 0; round < 15; round++) {
        const session = newIdentifier();
        expect(await request(clients[0]!, "cred.realm.game.avatar", { avatarId: "alice", anonymous: false, interfaces: ["echo"], session, mind: null })).toMatchObject({ ok: true });
        const jobs = [["release", {}], ...Array.from({ length: 5 }, () => ["call", { method: "whoami" }] as const)] as const;
        const outcomes = await Promise.all(
          jobs.map(([verb, body], i) =>
            clients[i % clients.length]!.request(`cred.session.${session}.${verb}`, json(body), { timeoutMs: 3000 }).then(
              (data) => `${verb}:${parse(data)["ok"] === true ? "ok" : parse(data)["error"].code}`,
              (error: unknown) => `${verb}:${error instanceof NoResponders ? "no responders" : String(error)}`,
            ),
          ),
        );
        for (const o of outcomes) tally[o] = (tally[o] ?? 0) + 1;
      }
      expect(tally["release:ok"]).toBe(15);
      const allowed = ["release:ok", "call:ok", "call:SessionEnded", "call:no responders"];
      expect(Object.keys(tally).filter((o) => !allowed.includes(o))).toEqual([]);
      expect(realms.hosted).toBe(0);
    });

    it("keeps, at the realm service, the avatars of a live portal: its instance answers", async () => {
      const realm = new TestRealm(["echo"]);
      const realms = await serveRealm(await bus(), realm, { name: "game", portalWatch: { checkEveryMs: 50, confirmMs: 100 } });
      services.push(realms);
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const { session } = await login(b);
      await sleep(400);
      expect(realms.hosted).toBe(1);
      expect(await request(b, `cred.session.${session}.call`, { method: "whoami" })).toEqual({ ok: true, result: "alice" });
    });

    it("ends the sessions of a realm process that stops cleanly with `shutdown`, not `avatar-failed`", async () => {
      const realm = new TestRealm(["echo"]);
      const realms = await serveRealm(await bus(), realm, { name: "game" });
      await portal({ realm: new RemoteRealm(await bus(), "game", { instanceWatch: { checkEveryMs: 50 } }) });
      const b = await bus();
      const mind = b.inbox();
      const reasons: string[] = [];
      b.subscribe(mind, (m) => void reasons.push(parse(m.data)["reason"]));
      await login(b, { mind });
      await realms.stop();
      await waitFor(() => reasons.length === 1);
      await sleep(150);
      expect(reasons).toEqual(["shutdown"]);
      expect(realm.avatars[0]!.logouts).toBe(1);
    });

    for (const ending of ["logout", "shutdown"] as const) {
      it(`delivers every notification a realm service still had queued before \`ended\` (${ending})`, async () => {
        // Paced slowly, so most of them are still queued in the realm's process when the session ends.
        const realms = await serveRealm(await bus(), new SimpleRealm(), { name: "game", mindLimits: { ratePerSecond: 20, burst: 2 } });
        if (ending === "logout") services.push(realms);
        await portal({ realm: new RemoteRealm(await bus(), "game") });
        const b = await bus();
        const mind = b.inbox();
        const heard: Array<Record<string, any>> = [];
        b.subscribe(mind, (m) => void heard.push(parse(m.data)));
        const { session } = await login(b, { mind });
        for (let i = 0; i < 30; i++) await request(b, `cred.session.${session}.call`, { method: "announce", args: [`n${i}`] });
        if (ending === "logout") expect(await request(b, `cred.session.${session}.logout`, {})).toEqual({ ok: true });
        else await realms.stop();
        await waitFor(() => heard.some((m) => m["type"] === "ended"));
        await sleep(100);
        expect(heard.filter((m) => m["type"] === "notify").map((m) => m["data"].text)).toEqual(Array.from({ length: 30 }, (_, i) => `n${i}`));
        expect(heard[heard.length - 1]).toMatchObject({ type: "ended", reason: ending });
      });
    }

    it("ends a remote-realm session with `avatar-failed` when its realm service says it let go of the avatar for that reason", async () => {
      const realm = new TestRealm(["echo"]);
      services.push(await serveRealm(await bus(), realm, { name: "game" }));
      const service = await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const { mind, ended } = endedOn(b);
      const { session } = await login(b, { mind });
      // What a realm service that took this portal for dead publishes (no reply expected).
      b.publish(`cred.session.${session}.release`, json({ reason: "avatar-failed" }));
      await waitFor(() => ended.length === 1);
      expect(ended.map((e) => e.reason)).toEqual(["avatar-failed"]);
      expect(service.sessions).toBe(0);
    });

    it("fails a login within about a second when its realm's process dies holding the avatar request, instead of waiting out the realm timeout", async () => {
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      // A realm built from PROTOCOL.md alone that takes avatar requests and never answers; then
      // its process dies (SIGKILL: its connection just closes).
      const doomedBus = await bus();
      let took!: () => void;
      const taken = new Promise<void>((resolve) => (took = resolve));
      doomedBus.subscribe("cred.realm.game.avatar", (m) => {
        if (parse(m.data)["session"] !== undefined) took();
      });
      await doomedBus.flush();
      const b = await bus();
      const started = performance.now();
      const loggingIn = login(b);
      await taken;
      await doomedBus.close();
      expect((await loggingIn)["error"]).toEqual({ code: "LoginFailed", message: "realm game is unavailable: nobody serves cred.realm.game.avatar" });
      // The portal's realm step allows 10 s; a probe every second finds nobody serving the realm.
      expect(performance.now() - started).toBeLessThan(3000);
    });
  });
}
