/** The runtime suite, over every transport: releases and `failed` (every call racing a logout, a release or a realm failure is answered exactly once). */
import { describe, expect, it } from "vitest";
import type { Bus } from "../../../transports/bus.ts";
import { AvatarCrashed, LoginFailed, RemoteRealm, serveRealm, SimpleRealm } from "../../../actors/index.ts";
import { newIdentifier } from "../../../actors/wire/identifiers.ts";
import { TestRealm } from "../../support/test-realm.ts";
import { captureLogs } from "../../support/capture-logs.ts";
import { type Network, json, parse, sleep, waitFor } from "../../support/wire.ts";
import { runtimeHarness } from "./runtime-harness.ts";

export function runtimeReleasesContract(name: string, makeNetwork: () => Promise<Network>): void {
  describe(`runtime over ${name}: releases`, () => {
    const { services, bus, portal, endedOn, request, playRealm, login, answersTo } = runtimeHarness(makeNetwork);

    it("sends a release for the avatar of a login it failed because the realm seemed gone: a draining realm may still make it", async () => {
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      // A realm built from PROTOCOL.md alone that stops taking avatar requests (no subscriber: the
      // probe finds nobody) but still answers the one it took, hosting its session, 1.5 s later.
      const realmBus = await bus();
      const released: string[] = [];
      const avatars = realmBus.subscribe("cred.realm.game.avatar", (m) => {
        const session = parse(m.data)["session"] as string | undefined;
        if (session === undefined) return;
        avatars.unsubscribe();
        realmBus.subscribe(`cred.session.${session}.release`, (r) => {
          released.push(session);
          r.respond(json({ ok: true }));
        });
        setTimeout(() => {
          m.respond(json({ ok: true, interface: "echo" }));
          answered = true;
        }, 1500);
      });
      let answered = false;
      await realmBus.flush();
      const reply = await login(await bus());
      expect(reply["error"]).toEqual({ code: "LoginFailed", message: "realm game is unavailable: nobody serves cred.realm.game.avatar" });
      await waitFor(() => released.length === 1, 5000);
      await waitFor(() => answered, 5000);
    });

    it("answers a call that races its session's logout exactly once, from the realm process that carried it out, never also SessionEnded from the portal", async () => {
      const realm = new TestRealm(["echo"]);
      services.push(await serveRealm(await bus(), realm, { name: "game" }));
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const { mind, ended } = endedOn(b);
      // What reached the Mind: the text of each `announce` carried out.
      const announced = new Set<string>();
      b.subscribe(mind, (m) => {
        const note = parse(m.data);
        if (note["type"] === "notify") announced.add(`${note["session"]}/${note["data"]["text"]}`);
      });
      for (let round = 0; round < 5; round++) {
        const { session } = await login(b, { mind });
        // One inbox per call: each must get exactly one answer.
        const replies = Array.from({ length: 3 }, () => ({ inbox: b.inbox(), got: [] as Array<Record<string, any>> }));
        for (const reply of replies) b.subscribe(reply.inbox, (m) => void reply.got.push(parse(m.data)));
        await b.flush();
        // The logout first, the calls right behind it: the portal is logging out when they come,
        // while the realm process, not yet released, takes them (an outside probe saw the portal
        // answer SessionEnded to calls whose notifications reached the Mind).
        b.publish(`cred.session.${session}.logout`, json({}), { reply: b.inbox() });
        replies.forEach((reply, i) => b.publish(`cred.session.${session}.call`, json({ method: "announce", args: [`x${i}`] }), { reply: reply.inbox }));
        await waitFor(() => ended.length === round + 1, 5000);
        await waitFor(() => replies.every((reply) => reply.got.length >= 1), 5000);
        await sleep(100);
        replies.forEach((reply, i) => {
          expect(reply.got).toHaveLength(1);
          // Carried out (its notification reached the Mind) exactly when the answer says so.
          if (reply.got[0]!["ok"] === true) expect(announced.has(`${session}/x${i}`)).toBe(true);
          else {
            expect(reply.got[0]!["error"]["code"]).toBe("SessionEnded");
            expect(announced.has(`${session}/x${i}`)).toBe(false);
          }
        });
      }
    });

    it("answers each of many calls sent in the milliseconds after their session's logout exactly once", async () => {
      const realm = new TestRealm(["echo"]);
      services.push(await serveRealm(await bus(), realm, { name: "game" }));
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const sessions = await Promise.all(Array.from({ length: 40 }, async () => (await login(b))["session"] as string));
      const replies = new Map<string, number>();
      const calls: Array<Promise<void>> = [];
      for (const session of sessions) {
        b.publish(`cred.session.${session}.logout`, json({}), { reply: b.inbox() });
        // Spread over the window in which the realm answers the release and lets go of the calls
        // (an outside probe saw 8% of such calls answered SessionEnded twice).
        for (let i = 0; i < 4; i++) {
          const inbox = b.inbox();
          replies.set(inbox, 0);
          b.subscribe(inbox, () => void replies.set(inbox, replies.get(inbox)! + 1));
          calls.push(sleep(i * 3).then(() => b.publish(`cred.session.${session}.call`, json({ method: "whoami" }), { reply: inbox })));
        }
      }
      await Promise.all(calls);
      await waitFor(() => [...replies.values()].every((n) => n > 0), 5000);
      await sleep(300);
      expect([...replies.values()].filter((n) => n !== 1)).toEqual([]);
    });

    it("answers calls racing a logout once even while the avatar's logout is slow: the realm still says it hosts the session until no call can reach it", async () => {
      // The avatar's logout takes 300 ms; before, the realm service told the portal's hosting
      // question at once that it no longer hosted the session, the portal's logout finished
      // without the release's answer, and it answered SessionEnded to calls the realm carried out.
      const realm = {
        requestAvatar: (avatarId: unknown, _mind: unknown, ...interfaces: string[]) => ({
          interface: interfaces[0]!,
          avatar: { whoami: () => String(avatarId) },
          logout: () => sleep(300),
        }),
      };
      services.push(await serveRealm(await bus(), realm as never, { name: "game" }));
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const { session } = await login(b);
      const replies = new Map<string, Array<Record<string, unknown>>>();
      b.publish(`cred.session.${session}.logout`, json({}), { reply: b.inbox() });
      for (let i = 0; i < 3; i++) {
        const inbox = b.inbox();
        replies.set(inbox, []);
        b.subscribe(inbox, (m) => void replies.get(inbox)!.push(parse(m.data)));
        await b.flush();
        b.publish(`cred.session.${session}.call`, json({ method: "whoami" }), { reply: inbox });
      }
      await waitFor(() => [...replies.values()].every((r) => r.length > 0), 5000);
      await sleep(700);
      expect([...replies.values()].map((r) => r.length)).toEqual([1, 1, 1]);
    });

    it("answers each of 200 calls racing a logout once, however many the realm took before the release reached it (a reviewer: a list of the last 64 left 136 answered twice)", async () => {
      const slowLogout = { requestAvatar: () => ({ interface: "echo", avatar: { echo: (x: unknown) => x }, logout: () => sleep(300) }) };
      services.push(await serveRealm(await bus(), slowLogout as never, { name: "game" }));
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const { session } = await login(b);
      const calls = answersTo(b);
      await b.flush();
      b.publish(`cred.session.${session}.logout`, json({}), { reply: b.inbox() });
      const racing = Array.from({ length: 200 }, (_, i) => calls.call(session, { method: "echo", args: [i] }));
      await waitFor(() => racing.every((r) => calls.answers.get(r)!.length > 0), 5000);
      await sleep(500);
      expect(racing.filter((r) => calls.answers.get(r)!.length !== 1)).toEqual([]);
    });

    it("answers each call racing a release sent by someone else and then the logout once (an outside fuzzer: 4–10 of 200 answered SessionEnded twice)", async () => {
      services.push(await serveRealm(await bus(), new SimpleRealm(), { name: "game" }));
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const other = await bus();
      const calls = answersTo(b);
      const racing: string[] = [];
      for (let trial = 0; trial < 40; trial++) {
        const { session } = await login(b);
        await b.flush();
        // As the fuzzer sent them: a call, the release from another connection, four calls and the logout, back to back.
        racing.push(calls.call(session, { method: "echo", args: [0] }));
        other.publish(`cred.session.${session}.release`, json({}), { reply: other.inbox() });
        for (let i = 1; i <= 4; i++) racing.push(calls.call(session, { method: "echo", args: [i] }));
        b.publish(`cred.session.${session}.logout`, json({}), { reply: b.inbox() });
      }
      await waitFor(() => racing.every((r) => calls.answers.get(r)!.length > 0), 10_000);
      await sleep(2_500);
      expect(racing.filter((r) => calls.answers.get(r)!.length !== 1)).toEqual([]);
    });

    // It failed in about one full-suite run in six on two loaded cores while the NATS bus's close()
    // destroyed the socket at once: the realm's last notices never reached nats-server.
    it("answers every call racing a realm service's stop exactly once: the realm's result for the calls it took, SessionEnded from the portal for the others", async () => {
      // An outside probe stopping `portcullis realm` under calling sessions saw calls answered
      // `ok` by the realm and then `AvatarError` by the portal, and some `SessionEnded` twice.
      const realmBus = await bus();
      const realm = await serveRealm(realmBus, new SimpleRealm(), { name: "game" });
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const sessions = await Promise.all(Array.from({ length: 8 }, async () => (await login(b))["session"] as string));
      const calls = answersTo(b);
      await b.flush();
      const sent: string[] = [];
      let stopped = false;
      const stopping = (async () => {
        await sleep(120);
        // What `portcullis realm` does on SIGTERM.
        await realm.stop();
        await realmBus.close();
        stopped = true;
      })();
      for (let round = 0; round < 200 && !(stopped && round > 60); round++) {
        for (const session of sessions) sent.push(calls.call(session, { method: "echo", args: [round] }));
        await sleep(4);
      }
      await stopping;
      await waitFor(() => sent.every((r) => calls.answers.get(r)!.length > 0), 10_000);
      // Late second answers (an audit that found the realm gone) come within a few seconds.
      await sleep(2_500);
      const answers = sent.map((r) => calls.answers.get(r)!);
      expect(answers.filter((a) => a.length !== 1)).toEqual([]);
      // The realm answered some before it stopped, the portal the ones after.
      expect(answers.some((a) => a[0] === "ok")).toBe(true);
      expect(answers.some((a) => a[0] === "SessionEnded")).toBe(true);
    });

    it("leaves to a stopping realm a call its shutdown notice lists, even when the notice comes a moment after the portal found the realm unreachable", async () => {
      // Played on the wire: a realm process that takes the call, stops answering on its instance
      // subject at once, and sends its notice (listing the call) and its answer 150 ms later.
      const realmBus = await bus();
      const instance = newIdentifier();
      realmBus.subscribe("cred.realm.game.avatar", (m) => void m.respond(json({ ok: true, interface: "echo", instance })));
      const liveness = realmBus.subscribe(`cred.realm.game.instance.${instance}`, (m) => void m.respond(json({ ok: true })));
      await realmBus.flush();
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const { session } = await login(b);
      realmBus.subscribe(`cred.session.${session}.call`, (m) => {
        liveness.unsubscribe();
        setTimeout(() => {
          realmBus.publish(`cred.session.${session}.release`, json({ reason: "shutdown", answered: [m.reply] }));
          m.respond(json({ ok: true, result: "from the realm" }));
        }, 150);
      });
      await realmBus.flush();
      const calls = answersTo(b);
      const call = calls.call(session, { method: "echo", args: [1] });
      await waitFor(() => calls.answers.get(call)!.length > 0, 3000);
      await sleep(700);
      expect(calls.answers.get(call)).toEqual(["ok"]);
    });

    it("answers AvatarError to a call its realm process says it never received though it hosts the session (lost while it was cut off), where it met silence", async () => {
      // Played on the wire: a realm process that hosts every session but whose call subscription
      // is gone (as while it reconnects), and that says which calls it took when asked: none.
      const r = await bus();
      const instance = newIdentifier();
      r.subscribe("cred.realm.game.avatar", (m) => void m.respond(json({ ok: true, interface: "echo", instance })));
      const asked: unknown[] = [];
      r.subscribe(`cred.realm.game.instance.${instance}`, (m) => {
        const question = parse(m.data);
        asked.push(question);
        m.respond(json(question["sessions"] ? { ok: true, ended: [], took: [] } : { ok: true }));
      });
      r.subscribe("cred.session.*.release", (m) => void (m.reply && m.respond(json({ ok: true }))));
      await r.flush();
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const { session } = await login(b);
      const calls = answersTo(b);
      await b.flush();
      const call = calls.call(session, { method: "echo", args: [1] });
      await waitFor(() => calls.answers.get(call)!.length > 0, 5000);
      await sleep(200);
      expect(calls.answers.get(call)).toEqual(["AvatarError: the realm hosting the avatar did not receive the call; try again"]);
      // The question named the call.
      expect(asked).toContainEqual({ sessions: [session], calls: [call] });
    });

    it("leaves to the realm a call whose audit comes back later than the realm remembers its calls: a realm that answered it and forgot says it did not take it", async () => {
      // Played on the wire: a realm process that answers every call, and answers questions about
      // calls 1.2 s late, listing none (it remembers its calls 2 s; a busy machine's audit came later).
      const r = await bus();
      const instance = newIdentifier();
      r.subscribe("cred.realm.game.avatar", (m) => void m.respond(json({ ok: true, interface: "echo", instance })));
      r.subscribe(`cred.realm.game.instance.${instance}`, (m) => {
        const question = parse(m.data);
        if (!question["sessions"]) return void m.respond(json({ ok: true }));
        setTimeout(() => m.respond(json({ ok: true, ended: [], took: [] })), 1_200);
      });
      r.subscribe("cred.session.*.call", (m) => void m.respond(json({ ok: true, result: 1 })));
      r.subscribe("cred.session.*.release", (m) => void (m.reply && m.respond(json({ ok: true }))));
      await r.flush();
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const { session } = await login(b);
      const calls = answersTo(b);
      await b.flush();
      const call = calls.call(session, { method: "echo", args: [1] });
      await waitFor(() => calls.answers.get(call)!.length > 0, 5000);
      // Past the late audit's answer.
      await sleep(1_500);
      expect(calls.answers.get(call)).toEqual(["ok"]);
    });

    /**
     * A realm service whose avatar's `crash` makes its supervisor give up at once (failedTimeoutMs
     * 300), and a portal played on the wire by `p`, built from PROTOCOL.md alone: a session id, a
     * mind subject, and every message on that mind in `heard`. The test adds what `p` answers.
     */
    const crashingRealmAndPortal = async () => {
      const crashing = { requestAvatar: () => ({ interface: "echo", avatar: { crash: () => { throw new AvatarCrashed("broken"); } }, logout: () => undefined }) };
      const realm = await serveRealm(await bus(), crashing as never, { name: "game", supervision: { policy: { maxRestarts: 0 } }, failedTimeoutMs: 300 });
      services.push(realm);
      const p = await bus();
      const session = newIdentifier();
      const mind = p.inbox();
      const heard: Array<Record<string, unknown>> = [];
      p.subscribe(mind, (m) => void heard.push(parse(m.data)));
      return { realm, p, session, mind, heard };
    };

    it.each(["refuses `failed` with BadRequest", "does not answer `failed`"])(
      "lets go of an avatar whose supervisor gave up, tells the Mind `ended` and says so on the release subject, when the portal (built from PROTOCOL.md alone) %s",
      async (portalDoes) => {
        const { realm, p, session, mind, heard } = await crashingRealmAndPortal();
        p.subscribe(`cred.session.${session}.release`, (m) => void (m.reply === undefined && heard.push({ notice: parse(m.data) })));
        p.subscribe(`cred.session.${session}.failed`, (m) => {
          if (portalDoes.startsWith("refuses")) m.respond(json({ ok: false, error: { code: "BadRequest", message: "unknown session subject: failed" } }));
        });
        await p.flush();
        expect(await request(p, "cred.realm.game.avatar", { avatarId: "alice", anonymous: false, interfaces: ["echo"], session, mind })).toMatchObject({ ok: true });
        await request(p, `cred.session.${session}.call`, { method: "crash" });
        await waitFor(() => realm.hosted === 0, 3000);
        await waitFor(() => heard.some((h) => h["type"] === "ended"), 2000);
        expect(heard.filter((h) => h["type"] === "ended")).toEqual([{ type: "ended", session, reason: "avatar-failed", seq: 1 }]);
        expect(heard).toContainEqual({ notice: expect.objectContaining({ reason: "avatar-failed" }) });
      },
    );

    it("lets go of an avatar whose supervisor gave up when the portal acknowledged `failed` but sends no release within failedTimeoutMs, leaving `ended` to that portal", async () => {
      const { realm, p, session, mind, heard } = await crashingRealmAndPortal();
      p.subscribe(`cred.session.${session}.failed`, (m) => void m.respond(json({ ok: true })));
      await p.flush();
      expect(await request(p, "cred.realm.game.avatar", { avatarId: "alice", anonymous: false, interfaces: ["echo"], session, mind })).toMatchObject({ ok: true });
      await request(p, `cred.session.${session}.call`, { method: "crash" });
      await sleep(100);
      // Acknowledged: the realm waits for the portal's release.
      expect(realm.hosted).toBe(1);
      await waitFor(() => realm.hosted === 0, 2000);
      expect(heard.filter((h) => h["type"] === "ended")).toEqual([]);
    });

    it("releases an avatar on a release published without a reply subject (an order, like a request), and not on a published notice or garbage", async () => {
      const realm = await serveRealm(await bus(), new SimpleRealm(), { name: "game" });
      services.push(realm);
      const p = await bus();
      const sessions = [newIdentifier(), newIdentifier(), newIdentifier()];
      for (const session of sessions) {
        expect(await request(p, "cred.realm.game.avatar", { avatarId: "alice", anonymous: false, interfaces: ["echo"], session, mind: null })).toMatchObject({ ok: true });
      }
      p.publish(`cred.session.${sessions[0]}.release`, json({}));
      p.publish(`cred.session.${sessions[1]}.release`, json({ reason: "shutdown" }));
      p.publish(`cred.session.${sessions[2]}.release`, new TextEncoder().encode("[]"));
      await p.flush();
      await waitFor(() => realm.hosted === 2, 2000);
      await sleep(100);
      expect(realm.hosted).toBe(2);
      expect(await request(p, `cred.session.${sessions[1]}.call`, { method: "echo", args: [1] })).toEqual({ ok: true, result: 1 });
      expect(await request(p, `cred.session.${sessions[2]}.call`, { method: "echo", args: [2] })).toEqual({ ok: true, result: 2 });
    });

    it("grants one avatar for a session asked for twice at once, refusing the other request with BadRequest (two avatars answered every call twice)", async () => {
      const slow = { requestAvatar: async () => (await sleep(50), { interface: "echo", avatar: { echo: (x: unknown) => x }, logout: () => undefined }) };
      const realm = await serveRealm(await bus(), slow as never, { name: "game" });
      services.push(realm);
      const b = await bus();
      const mind = b.inbox();
      const body = { avatarId: "alice", anonymous: false, interfaces: ["echo"], session: newIdentifier(), mind };
      const answers = await Promise.all([request(b, "cred.realm.game.avatar", body), request(b, "cred.realm.game.avatar", body)]);
      expect(answers.map((a) => (a["ok"] === true ? "ok" : a["error"].code)).sort()).toEqual(["BadRequest", "ok"]);
      expect(realm.hosted).toBe(1);
      const replies: unknown[] = [];
      const inbox = b.inbox();
      b.subscribe(inbox, (m) => void replies.push(parse(m.data)));
      await b.flush();
      b.publish(`cred.session.${body.session}.call`, json({ method: "echo", args: [7] }), { reply: inbox });
      await waitFor(() => replies.length > 0, 2000);
      await sleep(200);
      expect(replies).toEqual([{ ok: true, result: 7 }]);
    });

    it("keeps a session live when someone sends its release garbage: the realm refuses it and keeps the avatar, so the portal must not end the session either", async () => {
      // An outside probe: a release of `[]` ended the session at the portal while the realm kept
      // the avatar, and calls got two answers, then the realm's alone for 45 s.
      const realm = await serveRealm(await bus(), new SimpleRealm(), { name: "game" });
      services.push(realm);
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const { session } = await login(b);
      const refused = parse(await b.request(`cred.session.${session}.release`, new TextEncoder().encode("[]"), { timeoutMs: 2000 }));
      expect(refused).toMatchObject({ ok: false, error: { code: "BadRequest" } });
      await sleep(200);
      expect(realm.hosted).toBe(1);
      expect(await request(b, `cred.session.${session}.ping`, {})).toEqual({ ok: true });
      const calls = answersTo(b);
      await b.flush();
      const call = calls.call(session, { method: "echo", args: [1] });
      await waitFor(() => calls.answers.get(call)!.length > 0, 3000);
      await sleep(300);
      expect(calls.answers.get(call)).toEqual(["ok"]);
    });

    it("releases the realm's avatar of a session ended by a `failed` the realm's supervisor did not send, so no call is answered twice", async () => {
      // An outside probe: `failed {}` from another connection ended the session at the portal,
      // while the realm kept the avatar and answered its calls for 45 s beside the portal.
      const realm = await serveRealm(await bus(), new SimpleRealm(), { name: "game" });
      services.push(realm);
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const { mind, ended } = endedOn(b);
      await b.flush();
      const { session } = await login(b, { mind });
      expect(await request(b, `cred.session.${session}.failed`, {})).toEqual({ ok: true });
      await waitFor(() => ended.length > 0, 2000);
      expect(ended).toEqual([{ session, reason: "avatar-failed" }]);
      await waitFor(() => realm.hosted === 0, 2000);
      const calls = answersTo(b);
      await b.flush();
      const after = Array.from({ length: 5 }, (_, i) => calls.call(session, { method: "echo", args: [i] }));
      await waitFor(() => after.every((r) => calls.answers.get(r)!.length > 0), 3000);
      await sleep(300);
      expect(after.map((r) => calls.answers.get(r))).toEqual(after.map(() => ["SessionEnded"]));
    });

    it("logs a release the realm did not answer in time as a warning, not as an unexpected error: the session ends anyway", { timeout: 15_000 }, async () => {
      // An outside probe restarting NATS under split services saw one error line per session.
      const r = await bus();
      await playRealm(r, newIdentifier(), true);
      const logs = captureLogs("info");
      // The release's own 5 s run out before the saga's logout limit.
      await portal({ realm: new RemoteRealm(await bus(), "game"), logger: logs.logger, timeouts: { logoutMs: 6_000 } });
      const b = await bus();
      const { session } = await login(b);
      expect(parse(await b.request(`cred.session.${session}.logout`, json({}), { timeoutMs: 8_000 }))).toEqual({ ok: true });
      const entries = logs.lines.map((line) => JSON.parse(line) as { level: number; msg: string });
      expect(entries.filter((e) => e.level >= 50)).toEqual([]);
      expect(entries.some((e) => e.level === 40 && e.msg.includes("did not answer the release in time"))).toBe(true);
    });

    it("answers each call sent in the milliseconds after a `failed` exactly once, though the realm still takes some before its release", async () => {
      // An outside probe: 2–3 of 300 such calls got SessionEnded from the portal's ended session
      // and a result (or SessionEnded) from the realm, which had not been released yet.
      services.push(await serveRealm(await bus(), new SimpleRealm(), { name: "game" }));
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const service = await bus();
      const sessions = await Promise.all(Array.from({ length: 20 }, async () => (await login(b))["session"] as string));
      const calls = answersTo(b);
      await b.flush();
      const sent: string[] = [];
      for (const session of sessions) {
        service.publish(`cred.session.${session}.failed`, json({}));
        await service.flush();
        for (let i = 0; i < 5; i++) sent.push(calls.call(session, { method: "echo", args: [i] }));
      }
      await waitFor(() => sent.every((r) => calls.answers.get(r)!.length > 0), 10_000);
      await sleep(500);
      expect(sent.map((r) => calls.answers.get(r)).filter((a) => a!.length !== 1)).toEqual([]);
      // Under load (three copies of this file at once) all five calls of one session got two
      // answers in 2 of 24 runs, until the ended session went on asking the release's list.
    });

    it("leaves to the realm a call its answer to the release listed, even when that call reaches the portal after the answer (the two on different connections)", async () => {
      // Under load the release's answer (on the portal's realm connection) overtook calls on their
      // way to the session's subscription (another connection): the ended session answered them
      // SessionEnded beside the realm, all five calls of a session twice.
      const r = await bus();
      const late = r.inbox();
      r.subscribe("cred.realm.game.avatar", (m) => void m.respond(json({ ok: true, interface: "echo" })));
      r.subscribe("cred.session.*.release", (m) => void m.respond(json({ ok: true, answered: [late] })));
      await r.flush();
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const { session } = await login(b);
      expect(await request(b, `cred.session.${session}.failed`, {})).toEqual({ ok: true });
      // The release is answered and the session is over well before the call comes.
      await sleep(200);
      const heard: string[] = [];
      b.subscribe(late, (m) => void heard.push(parse(m.data)["error"]?.code ?? "ok"));
      const calls = answersTo(b);
      await b.flush();
      b.publish(`cred.session.${session}.call`, json({ method: "echo", args: [1] }), { reply: late });
      const other = calls.call(session, { method: "echo", args: [2] });
      await waitFor(() => calls.answers.get(other)!.length > 0, 3000);
      await sleep(300);
      expect(heard).toEqual([]);
      // A call the realm did not list is still answered, by the portal.
      expect(calls.answers.get(other)).toEqual(["SessionEnded"]);
    });

    it("lets the list in the realm's answer to the release decide, even when its own release notice came first (a realm stopping while the portal logs out)", async () => {
      // Played on the wire as serve-realm does when it stops during a logout: the notice, then the
      // answer listing the calls it took and answered.
      const r = await bus();
      r.subscribe("cred.realm.game.avatar", (m) => void m.respond(json({ ok: true, interface: "echo" })));
      const taken: string[] = [];
      r.subscribe("cred.session.*.call", (m) => {
        taken.push(m.reply!);
        setTimeout(() => m.respond(json({ ok: true, result: "done" })), 50);
      });
      r.subscribe("cred.session.*.release", (m) => {
        if (m.reply === undefined) return;
        setTimeout(() => {
          r.publish(m.subject, json({ reason: "shutdown" }));
          setTimeout(() => m.respond(json({ ok: true, answered: taken })), 50);
        }, 100);
      });
      await r.flush();
      await portal({ realm: new RemoteRealm(await bus(), "game") });
      const b = await bus();
      const { session } = await login(b);
      const calls = answersTo(b);
      await b.flush();
      const loggingOut = request(b, `cred.session.${session}.logout`, {});
      await sleep(20);
      const racing = Array.from({ length: 3 }, () => calls.call(session, { method: "echo" }));
      await loggingOut;
      await sleep(400);
      expect(racing.map((x) => calls.answers.get(x))).toEqual(racing.map(() => ["ok"]));
    });
  });
}
