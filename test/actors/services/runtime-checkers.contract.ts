/** The runtime suite, over every transport: checker services (credentials as they came, announce, discover, withdraw, instances, hot swap). */
import { describe, expect, it } from "vitest";
import {
  AllowAnonymousAccess,
  connect,
  InMemoryUsernamePasswordDatabaseDontUse,
  LoginFailed,
  NoSuchInterface,
  RemoteRealm,
  serveChecker,
  serveRealm,
  UnauthorizedLogin,
  UnhandledCredentials,
  UsernamePassword,
  type Notification,
} from "../../../actors/index.ts";
import { newIdentifier } from "../../../actors/wire/identifiers.ts";
import { TestRealm } from "../../support/test-realm.ts";
import { captureLogs } from "../../support/capture-logs.ts";
import { type Network, json, parse, sleep, waitFor } from "../../support/wire.ts";
import { runtimeHarness } from "./runtime-harness.ts";

export function runtimeCheckersContract(name: string, makeNetwork: () => Promise<Network>): void {
  describe(`runtime over ${name}: checkers`, () => {
    const { buses, services, bus, checker, portal, request, login, loginsAtOnce } = runtimeHarness(makeNetwork);

    it("hands a checker service the credentials as they came, fields beyond the kind's own included", async () => {
      await portal({ checkers: [] });
      const checkerBus = await bus();
      const received: unknown[] = [];
      // A checker written in another language, played on the wire.
      checkerBus.subscribe(
        "cred.checker.wire",
        (m) => {
          received.push(parse(m.data)["credentials"]);
          m.respond(json({ ok: true, avatarId: "alice" }));
        },
        { queue: "cred.checker.wire" },
      );
      checkerBus.publish("cred.checkers.announce", json({ name: "wire", kinds: ["username-password"] }));
      await checkerBus.flush();
      await sleep(50);
      const credentials = { kind: "username-password", username: "alice", password: "pw", domain: "corp", extra: { x: [1, null] } };
      expect(await login(await bus(), { credentials })).toMatchObject({ ok: true, avatarId: "alice" });
      expect(received).toEqual([credentials]);
    });

    it("hands a checker service a custom kind's `__proto__` field too, as an ordinary field", async () => {
      // An outside probe: the schema's copy of `credentials` left the key out on the way.
      await portal({ checkers: [] });
      const checkerBus = await bus();
      const received: string[] = [];
      checkerBus.subscribe("cred.checker.wire", (m) => {
        received.push(JSON.stringify(JSON.parse(new TextDecoder().decode(m.data))["credentials"]));
        m.respond(json({ ok: true, avatarId: "alice" }));
      });
      checkerBus.publish("cred.checkers.announce", json({ name: "wire", kinds: ["x-custom"] }));
      await checkerBus.flush();
      await sleep(50);
      const credentials = '{"kind":"x-custom","__proto__":{"role":"admin"},"profile":{"__proto__":1}}';
      const body = `{"credentials":${credentials},"interfaces":["echo"]}`;
      expect(parse(await (await bus()).request("cred.login", new TextEncoder().encode(body)))).toMatchObject({ ok: true, avatarId: "alice" });
      expect(received).toEqual([credentials]);
    });

    it.each([
      ["SessionEnded", "LoginFailed"],
      ["NoSuchInterface", "LoginFailed"],
      ["AvatarError", "LoginFailed"],
      ["UnhandledCredentials", "UnhandledCredentials"],
      ["BadRequest", "BadRequest"],
      ["LoginFailed", "LoginFailed"],
    ])("passes a checker service's %s to the client as %s: only what a checker can mean", async (sent, seen) => {
      await portal({ checkers: [] });
      const checkerBus = await bus();
      checkerBus.subscribe("cred.checker.odd", (m) => void m.respond(json({ ok: false, error: { code: sent, message: "checker says" } })), {
        queue: "cred.checker.odd",
      });
      checkerBus.publish("cred.checkers.announce", json({ name: "odd", kinds: ["x-odd"] }));
      await checkerBus.flush();
      await sleep(50);
      const reply = await login(await bus(), { credentials: { kind: "x-odd", code: 1 } });
      expect(reply).toMatchObject({ ok: false, error: { code: seen } });
    });

    it("rejects a kind no checker handles with UnhandledCredentials", async () => {
      await portal();
      const reply = await login(await bus(), { credentials: { kind: "anonymous" } });
      expect(reply["error"].code).toBe("UnhandledCredentials");
      await expect(connect(buses[0]!).login({ kind: "x-custom", token: "t" }, { interfaces: ["echo"] })).rejects.toBeInstanceOf(
        UnhandledCredentials,
      );
    });

    it("logs in with the checker and the realm as services in other processes (connections)", async () => {
      const realm = new TestRealm(["echo"]);
      const checkers = await serveChecker(await bus(), checker(), { name: "memory" });
      const realms = await serveRealm(await bus(), realm, { name: "game" });
      services.push(checkers, realms);
      await portal({ realm: new RemoteRealm(await bus(), "game"), checkers: [] });
      const client = connect(await bus());
      const notes: Notification[] = [];
      const session = await client.login(new UsernamePassword("bob", "hunter2"), { interfaces: ["echo"], mind: (n) => notes.push(n) });
      expect(session.avatarId).toBe("bob");
      expect(await session.call("whoami")).toBe("bob");
      await session.call("announce", "x");
      await expect(client.login(new UsernamePassword("bob", "wrong"), { interfaces: ["echo"] })).rejects.toBeInstanceOf(UnauthorizedLogin);
      await expect(client.login(new UsernamePassword("bob", "hunter2"), { interfaces: ["nope"] })).rejects.toBeInstanceOf(NoSuchInterface);
      await session.logout();
      expect(realm.avatars[0]!.logouts).toBe(1);
      expect(realms.hosted).toBe(0);
    });

    it("answers a check still running when its checker service stops, before the service's bus closes", async () => {
      const checkerBus = await bus();
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      const slow = {
        credentialKinds: ["username-password"],
        requestAvatarId: async () => {
          started();
          await sleep(150);
          return "alice";
        },
      };
      const service = await serveChecker(checkerBus, slow, { name: "slow" });
      const client = await bus();
      const check = client.request(
        "cred.checker.slow",
        json({ credentials: { kind: "username-password", username: "alice", password: "pw" } }),
        { timeoutMs: 5000 },
      );
      await running;
      // As `portcullis checker` does on SIGTERM: stop the service, then close its connection.
      await service.stop();
      await checkerBus.close();
      expect(parse(await check)).toEqual({ ok: true, avatarId: "alice" });
    });

    it("swaps in a newly announced checker and restores the previous one when it is withdrawn", async () => {
      const service = await portal({ checkers: [] });
      const first = await serveChecker(await bus(), new InMemoryUsernamePasswordDatabaseDontUse({ alice: "one" }), { name: "first" });
      services.push(first);
      const b = await bus();
      await waitFor(() => service.portal.listCredentialsKinds().includes("username-password"));
      expect((await login(b, { credentials: { kind: "username-password", username: "alice", password: "one" } }))["ok"]).toBe(true);
      const second = await serveChecker(await bus(), new InMemoryUsernamePasswordDatabaseDontUse({ alice: "two" }), { name: "second" });
      await sleep(50);
      expect((await login(b, { credentials: { kind: "username-password", username: "alice", password: "two" } }))["ok"]).toBe(true);
      expect((await login(b, { credentials: { kind: "username-password", username: "alice", password: "one" } }))["ok"]).toBe(false);
      await second.stop();
      await sleep(50);
      expect((await login(b, { credentials: { kind: "username-password", username: "alice", password: "one" } }))["ok"]).toBe(true);
    });

    it("ranks the answers to its discover by when each checker was announced, not by when they arrive: the newest is on top", async () => {
      // Two checker services played on the wire, so the answers can come in the worst order: the
      // newer one's first. (A restarted portal put the older on top and refused the passwords only
      // the newer had, in 4 restarts out of 6, found by an outside probe.)
      const b = await bus();
      const asked: string[] = [];
      for (const name of ["older", "newer"]) {
        b.subscribe(`cred.checker.${name}`, (m) => {
          asked.push(name);
          m.respond(json({ ok: true, avatarId: "alice" }));
        });
      }
      const now = Date.now();
      b.subscribe("cred.checkers.discover", (m) => {
        m.respond(json({ name: "newer", kinds: ["username-password"], instance: "n1", since: now - 1_000 }));
        m.respond(json({ name: "older", kinds: ["username-password"], instance: "o1", since: now - 60_000 }));
      });
      await b.flush();
      const service = await portal({ checkers: [] });
      // Both answers were sent back to back; on a loaded machine they may land after the portal's 50 ms.
      await waitFor(() => service.portal.listCredentialsKinds().includes("username-password"), 3000);
      await sleep(100);
      expect(service.portal.listCredentialsKinds()).toEqual(["username-password"]);
      expect(await login(b)).toMatchObject({ ok: true, avatarId: "alice" });
      expect(asked).toEqual(["newer"]);
      // A live announcement is newer than both.
      b.subscribe("cred.checker.newest", (m) => {
        asked.push("newest");
        m.respond(json({ ok: true, avatarId: "alice" }));
      });
      await b.flush();
      b.publish("cred.checkers.announce", json({ name: "newest", kinds: ["username-password"], instance: "x1", since: Date.now() }));
      await sleep(50);
      await login(b);
      expect(asked).toEqual(["newer", "newest"]);
      // A live announcement goes on top whatever its `since`: absent (PROTOCOL.md's own shape), or
      // from a host whose clock runs two minutes ahead, and then one after it from a slower clock.
      for (const [name, since] of [["plain", undefined], ["ahead", Date.now() + 120_000], ["after", Date.now() - 5_000]] as const) {
        b.subscribe(`cred.checker.${name}`, (m) => {
          asked.push(name);
          m.respond(json({ ok: true, avatarId: "alice" }));
        });
        await b.flush();
        b.publish("cred.checkers.announce", json({ name, kinds: ["username-password"], instance: `${name}1`, ...(since === undefined ? {} : { since }) }));
        await sleep(50);
        await login(b);
      }
      expect(asked).toEqual(["newer", "newest", "plain", "ahead", "after"]);
    });

    it("ranks its own checkers as announced when it starts: above checkers announced before (answering discover), below one announced after, back on top when that one withdraws", async () => {
      // An outside probe: `serve --auth memory:alice:secret` next to a `memory` checker started
      // earlier refused alice's password and let the older checker's in.
      const b = await bus();
      const asked: string[] = [];
      for (const name of ["older", "plain", "later"]) {
        b.subscribe(`cred.checker.${name}`, (m) => {
          asked.push(name);
          m.respond(json({ ok: true, avatarId: "someone-else" }));
        });
      }
      b.subscribe("cred.checkers.discover", (m) => {
        if (asked.includes("later-announced")) return;
        m.respond(json({ name: "older", kinds: ["username-password"], instance: "o1", since: Date.now() - 60_000 }));
        // A checker built from PROTOCOL.md alone says nothing of when it started.
        m.respond(json({ name: "plain", kinds: ["username-password"] }));
      });
      await b.flush();
      await portal();
      await sleep(150);
      expect(await login(b)).toMatchObject({ ok: true, avatarId: "alice" });
      expect(asked).toEqual([]);
      asked.push("later-announced");
      b.publish("cred.checkers.announce", json({ name: "later", kinds: ["username-password"], instance: "l1", since: Date.now() }));
      await sleep(50);
      expect(await login(b)).toMatchObject({ ok: true, avatarId: "someone-else" });
      expect(asked).toEqual(["later-announced", "later"]);
      // A withdrawal is confirmed by asking the instance on its own subject: nobody serves it.
      b.publish("cred.checkers.withdraw", json({ name: "later", instance: "l1" }));
      await sleep(1000);
      expect(await login(b)).toMatchObject({ ok: true, avatarId: "alice" });
      expect(asked).toEqual(["later-announced", "later"]);
    });

    it("routes a kind to the same one of two checkers without `since` at every portal, whatever order their discover answers come in", async () => {
      // Checkers built from PROTOCOL.md alone, announced before any portal started: nothing says
      // which announced last. Two portals heard their answers in opposite orders (outside probe: they split logins).
      const b = await bus();
      const asked: string[] = [];
      const delays = new Map([["zeta", 0], ["alpha", 30]]);
      for (const name of ["zeta", "alpha"]) {
        b.subscribe(`cred.checker.${name}`, (m) => {
          asked.push(name);
          m.respond(json({ ok: true, avatarId: "alice" }));
        });
        b.subscribe("cred.checkers.discover", (m) => {
          setTimeout(() => m.respond(json({ name, kinds: ["username-password"] })), delays.get(name));
        });
      }
      await b.flush();
      await portal({ checkers: [], prefix: "cred" });
      await sleep(100);
      await login(b);
      delays.set("zeta", 30).set("alpha", 0);
      const second = await portal({ checkers: [], prefix: "cred" });
      await sleep(100);
      // Straight at the second portal's checker choice: the queue group could pick either portal.
      await second.portal.login(new UsernamePassword("alice", "secret"), null, "echo");
      expect(asked).toEqual(["zeta", "zeta"]);
    });

    it("joins the login queue group only once the running checkers answered its discover: no login meets a portal still starting", async () => {
      // Outside probe: portals joining under load refused their first logins with
      // UnhandledCredentials, having joined the login queue group before discovery.
      const b = await bus();
      b.subscribe("cred.checker.steady", (m) => void m.respond(json({ ok: true, avatarId: "alice" })));
      // Answers with a little lag, as a loaded checker does; then again, still in the window.
      b.subscribe("cred.checkers.discover", (m) => {
        setTimeout(() => m.respond(json({ name: "steady", kinds: ["x-steady"] })), 30);
      });
      await b.flush();
      const first = await portal({ checkers: [] });
      expect(first.portal.listCredentialsKinds()).toContain("x-steady");
      // A second portal joins while logins keep coming: none of them may meet it unprepared.
      const joining = portal({ checkers: [] });
      const replies: Array<Promise<Record<string, unknown>>> = [];
      for (let i = 0; i < 30; i++) {
        replies.push(login(b, { credentials: { kind: "x-steady" } }));
        await sleep(3);
      }
      await joining;
      for (let i = 0; i < 30; i++) replies.push(login(b, { credentials: { kind: "x-steady" } }));
      const outcomes = await Promise.all(replies);
      expect(outcomes.filter((r) => r["ok"] !== true)).toEqual([]);
    });

    it("falls back within about a second when the top checker's process dies holding the login's check, instead of waiting out the check timeout", async () => {
      await portal({ checkers: [] });
      services.push(await serveChecker(await bus(), checker(), { name: "steady" }));
      await sleep(50);
      // A checker built from PROTOCOL.md alone, announced on top, that takes checks and never
      // answers; then its process dies (SIGKILL: no withdraw, its connection just closes).
      const doomedBus = await bus();
      let took!: () => void;
      const taken = new Promise<void>((resolve) => (took = resolve));
      doomedBus.subscribe("cred.checker.doomed", (m) => {
        if (parse(m.data)["credentials"] !== undefined) took();
      });
      await doomedBus.flush();
      doomedBus.publish("cred.checkers.announce", json({ name: "doomed", kinds: ["username-password"] }));
      await sleep(50);
      const b = await bus();
      const started = performance.now();
      const loggingIn = login(b);
      await taken;
      await doomedBus.close();
      expect(await loggingIn).toMatchObject({ ok: true, avatarId: "alice" });
      // The check timeout is 10 s; a probe every second finds nobody serving the dead checker.
      expect(performance.now() - started).toBeLessThan(3000);
    });

    it("answers a check still under way when its only checker stops cleanly, though the check outlasts a probe's second", async () => {
      await portal({ checkers: [] });
      const slow = {
        credentialKinds: ["username-password"],
        requestAvatarId: async () => {
          await sleep(1500);
          return "alice";
        },
      };
      const service = await serveChecker(await bus(), slow, { name: "slow" });
      await sleep(50);
      const loggingIn = login(await bus());
      await sleep(300);
      // Withdrawn, then drained: no subscriber while it finishes the check (a reviewer saw the
      // probe take that for a dead checker and fail the login).
      const stopped = service.stop();
      expect(await loggingIn).toMatchObject({ ok: true, avatarId: "alice" });
      await stopped;
    });

    it("uses a checker again when it comes back under its name after it had no responders", async () => {
      await portal({ checkers: [] });
      const crashedBus = await bus();
      await serveChecker(crashedBus, checker(), { name: "phoenix" });
      await sleep(50);
      const b = await bus();
      expect(await login(b)).toMatchObject({ ok: true });
      // Gone without withdrawing: the next login meets no responders, and nothing else serves the kind.
      await crashedBus.close();
      expect((await login(b))["error"].code).toBe("LoginFailed");
      const restarted = await serveChecker(await bus(), checker(), { name: "phoenix" });
      services.push(restarted);
      await sleep(50);
      expect(await login(b)).toMatchObject({ ok: true, avatarId: "alice" });
    });

    it("keeps a checker while another instance of it still serves, when one instance withdraws", async () => {
      const service = await portal({ checkers: [] });
      const one = await serveChecker(await bus(), checker(), { name: "pair" });
      const two = await serveChecker(await bus(), checker(), { name: "pair" });
      services.push(two);
      await sleep(50);
      await one.stop();
      await sleep(50);
      expect(service.portal.listCredentialsKinds()).toContain("username-password");
      expect(await login(await bus())).toMatchObject({ ok: true, avatarId: "alice" });
      await two.stop();
      // The last one known: other processes are asked to announce first (250 ms).
      await sleep(400);
      expect(service.portal.listCredentialsKinds()).not.toContain("username-password");
    });

    it("sends the checks a stalled checker instance holds (subscribed, answering nothing, as under SIGSTOP) to an instance that answers, seconds before the check timeout", async () => {
      await portal({ checkers: [] });
      await serveChecker(await bus(), checker(), { name: "pair" }).then((live) => services.push(live));
      // Played on the wire: a process of checker `pair` that stopped, its subscriptions still in place.
      const s = await bus();
      const instance = newIdentifier();
      let held = 0;
      let recovered = false;
      const announcement = json({ name: "pair", kinds: ["username-password"], instance, since: Date.now() });
      s.subscribe("cred.checker.pair", (m) => {
        held++;
        if (recovered) m.respond(json({ ok: true, avatarId: "alice" }));
      }, { queue: "cred.checker.pair" });
      s.subscribe(`cred.checker.pair.instance.${instance}`, (m) => void (recovered && m.respond(json({ ok: true }))));
      s.subscribe(`cred.checker.pair.instance.${instance}.check`, () => undefined);
      s.subscribe("cred.checkers.discover", (m) => void m.respond(announcement));
      s.publish("cred.checkers.announce", announcement);
      await s.flush();
      await sleep(100);
      const b = await bus();
      const started = performance.now();
      const outcomes = await loginsAtOnce(b, 12);
      expect(outcomes).toEqual(outcomes.map(() => "ok"));
      // Some went to the stalled one (12 logins, two members), and waited about two probe rounds, not 10 s.
      expect(held).toBeGreaterThan(0);
      expect(performance.now() - started).toBeLessThan(6_000);
      // While it stays stalled, new logins go around it, straight to the instance that answers.
      const heldBefore = held;
      const again = performance.now();
      for (let i = 0; i < 12; i++) {
        const reply = parse(await b.request("cred.login", json({ credentials: { kind: "username-password", username: "alice", password: "secret" }, interfaces: ["echo"] }), { timeoutMs: 9_000 }));
        expect(reply["ok"]).toBe(true);
      }
      expect(held).toBe(heldBefore);
      expect(performance.now() - again).toBeLessThan(1_000);
      // Back (SIGCONT): its probe answers within a round or two, and the queue group hands it checks again.
      recovered = true;
      await sleep(2_500);
      const logins = await loginsAtOnce(b, 16);
      expect(logins).toEqual(logins.map(() => "ok"));
      expect(held).toBeGreaterThan(heldBefore);
    });

    it("keeps a checker that another instance still serves after a withdrawal without instance made the portal forget it, and after the instance it knew stops", async () => {
      const service = await portal({ checkers: [] });
      const one = await serveChecker(await bus(), checker(), { name: "pair" });
      const two = await serveChecker(await bus(), checker(), { name: "pair" });
      services.push(two);
      await sleep(50);
      // A checker built from PROTOCOL.md alone, same name, stopping: `{"name"}` and nothing else.
      const other = await bus();
      other.publish("cred.checkers.withdraw", json({ name: "pair" }));
      await other.flush();
      await sleep(400);
      expect(service.portal.listCredentialsKinds()).toContain("username-password");
      await one.stop();
      await sleep(400);
      expect(service.portal.listCredentialsKinds()).toContain("username-password");
      expect(await login(await bus())).toMatchObject({ ok: true, avatarId: "alice" });
    });

    it("has a checker process announce itself again when another process of the same checker withdraws, so a portal built from PROTOCOL.md alone keeps the name", async () => {
      const one = await serveChecker(await bus(), checker(), { name: "pair" });
      const two = await serveChecker(await bus(), checker(), { name: "pair" });
      services.push(two);
      // A foreign portal's view: the directory messages in the order they come.
      const seen: string[] = [];
      const p = await bus();
      p.subscribe("cred.checkers.announce", (m) => void seen.push(`announce ${parse(m.data)["instance"]}`));
      p.subscribe("cred.checkers.withdraw", (m) => void seen.push(`withdraw ${parse(m.data)["instance"]}`));
      const instances = new Set<string>();
      p.subscribe("_INBOX.directory", (m) => void instances.add(parse(m.data)["instance"]));
      await p.flush();
      p.publish("cred.checkers.discover", new Uint8Array(), { reply: "_INBOX.directory" });
      await waitFor(() => instances.size === 2, 2000);
      await one.stop();
      await waitFor(() => seen.length >= 2, 2000);
      await sleep(100);
      const withdrawn = seen[0]!.split(" ")[1]!;
      const other = [...instances].find((i) => i !== withdrawn)!;
      expect(seen).toEqual([`withdraw ${withdrawn}`, `announce ${other}`]);
    });

    it("answers 'try again' for the kinds of a live checker forgotten for a flood of new names, and takes it back when it answers the discover that follows the flood", async () => {
      const service = await portal({ checkers: [], maxCheckers: 2 });
      services.push(await serveChecker(await bus(), new AllowAnonymousAccess(), { name: "anon" }));
      await sleep(50);
      const b = await bus();
      const anonymous = async () => (await request(b, "cred.login", { credentials: { kind: "anonymous" }, interfaces: ["echo"] }))["error"]?.code ?? "ok";
      expect(service.portal.listCredentialsKinds()).toContain("anonymous");
      // Made-up names nobody serves push the idle one out (it has answered no check yet: one
      // that has is forgotten after every name that never did).
      const other = await bus();
      for (const name of ["made-up-1", "made-up-2"]) other.publish("cred.checkers.announce", json({ name, kinds: [`x-${name}`] }));
      await other.flush();
      await sleep(100);
      expect(await anonymous()).toBe("LoginFailed");
      // About a second after the last name, a discover: the live one answers and is back.
      let outcome = "LoginFailed";
      for (let tries = 0; tries < 30 && outcome !== "ok"; tries++) {
        await sleep(100);
        outcome = await anonymous();
        expect(["ok", "LoginFailed"]).toContain(outcome);
      }
      expect(outcome).toBe("ok");
    });

    it("keeps asking after an instance that a forged withdrawal named while others serve: when it stalls later, its checks are still sent again", async () => {
      await portal({ checkers: [] });
      services.push(await serveChecker(await bus(), checker(), { name: "pair" }));
      // Played on the wire: an instance that answers its probes until it stalls, and holds every check.
      const s = await bus();
      const instance = newIdentifier();
      let stalled = false;
      const announcement = json({ name: "pair", kinds: ["username-password"], instance, since: Date.now() });
      s.subscribe("cred.checker.pair", () => undefined, { queue: "cred.checker.pair" });
      s.subscribe(`cred.checker.pair.instance.${instance}`, (m) => void (stalled || m.respond(json({ ok: true }))));
      s.subscribe("cred.checkers.discover", (m) => void m.respond(announcement));
      s.publish("cred.checkers.announce", announcement);
      await s.flush();
      await sleep(100);
      const other = await bus();
      other.publish("cred.checkers.withdraw", json({ name: "pair", instance }));
      await other.flush();
      await sleep(600);
      stalled = true;
      const b = await bus();
      const started = performance.now();
      const outcomes = await loginsAtOnce(b, 12);
      expect(outcomes).toEqual(outcomes.map(() => "ok"));
      expect(performance.now() - started).toBeLessThan(6_000);
    });

    it("drops a checker whose last instance withdrew even when a process that stopped earlier still answers the round's discover (it has let go of its own subject)", async () => {
      const service = await portal({ checkers: [] });
      const live = await serveChecker(await bus(), checker(), { name: "pair" });
      // Played on the wire: a process of `pair` that withdrew, let go of its own subject, and, still
      // draining under load, answers one more discover.
      const s = await bus();
      const instance = newIdentifier();
      const announcement = json({ name: "pair", kinds: ["username-password"], instance, since: Date.now() });
      s.subscribe("cred.checkers.discover", (m) => void m.respond(announcement));
      s.publish("cred.checkers.announce", announcement);
      await s.flush();
      await sleep(100);
      s.publish("cred.checkers.withdraw", json({ name: "pair", instance }));
      await s.flush();
      await sleep(400);
      expect(service.portal.listCredentialsKinds()).toContain("username-password");
      await live.stop();
      await sleep(900);
      expect(service.portal.listCredentialsKinds()).not.toContain("username-password");
    });

    it("keeps a checker whose withdrawal, sent by someone else, names its live instance: the instance still answers on its own subject", async () => {
      const service = await portal({ checkers: [] });
      services.push(await serveChecker(await bus(), checker(), { name: "pair" }));
      await sleep(50);
      const other = await bus();
      const { instance } = parse(await other.request("cred.checkers.discover", new Uint8Array(), { timeoutMs: 2000 }));
      other.publish("cred.checkers.withdraw", json({ name: "pair", instance }));
      await other.flush();
      await sleep(900);
      expect(service.portal.listCredentialsKinds()).toContain("username-password");
      expect(await login(await bus())).toMatchObject({ ok: true, avatarId: "alice" });
    });

    it("keeps a checker that still serves through two withdrawals without instance 100 ms apart: the second starts its own round of discover", async () => {
      const service = await portal({ checkers: [] });
      services.push(await serveChecker(await bus(), checker(), { name: "pair" }));
      await sleep(50);
      const other = await bus();
      for (let i = 0; i < 2; i++) {
        other.publish("cred.checkers.withdraw", json({ name: "pair" }));
        await other.flush();
        await sleep(100);
      }
      await sleep(400);
      expect(service.portal.listCredentialsKinds()).toContain("username-password");
      expect(await login(await bus())).toMatchObject({ ok: true, avatarId: "alice" });
    });

    it("keeps a checker built from PROTOCOL.md alone when one of its two copies withdraws: the other answers the round, and the checker's own subject is still served", async () => {
      // An outside probe: two copies without `instance`; stopping one made the portal drop the
      // name while the other served (LoginFailed, then UnhandledCredentials, for every login).
      const service = await portal({ checkers: [] });
      const announcement = json({ name: "roll", kinds: ["username-password"] });
      const copy = async () => {
        const s = await bus();
        s.subscribe("cred.checker.roll", (m) => {
          const credentials = parse(m.data)["credentials"];
          m.respond(credentials === undefined ? json({ ok: false, error: { code: "BadRequest", message: "credentials: required" } }) : json({ ok: true, avatarId: "alice" }));
        }, { queue: "cred.checker.roll" });
        s.subscribe("cred.checkers.discover", (m) => void (m.reply !== undefined && s.publish(m.reply, announcement)));
        s.publish("cred.checkers.announce", announcement);
        await s.flush();
        return s;
      };
      const leaving = await copy();
      await copy();
      await sleep(100);
      expect(await login(await bus())).toMatchObject({ ok: true, avatarId: "alice" });
      leaving.publish("cred.checkers.withdraw", json({ name: "roll" }));
      await leaving.close();
      await sleep(900);
      expect(service.portal.listCredentialsKinds()).toContain("username-password");
      expect(await login(await bus())).toMatchObject({ ok: true, avatarId: "alice" });
    });

    it("drops a checker built from PROTOCOL.md alone whose only copy withdrew, though it answered the round's discover on its way out", async () => {
      const service = await portal({ checkers: [] });
      const s = await bus();
      const announcement = json({ name: "roll", kinds: ["username-password"] });
      const serving = s.subscribe("cred.checker.roll", (m) => void m.respond(json({ ok: true, avatarId: "alice" })), { queue: "cred.checker.roll" });
      s.subscribe("cred.checkers.discover", (m) => void (m.reply !== undefined && s.publish(m.reply, announcement)));
      s.publish("cred.checkers.announce", announcement);
      await s.flush();
      await sleep(100);
      expect(service.portal.listCredentialsKinds()).toContain("username-password");
      // Stopping: it lets go of the checker's subject, withdraws, and still answers one discover.
      serving.unsubscribe();
      s.publish("cred.checkers.withdraw", json({ name: "roll" }));
      await s.flush();
      await sleep(900);
      expect(service.portal.listCredentialsKinds()).not.toContain("username-password");
    });

    /**
     * A checker built from PROTOCOL.md alone, played on the wire: every check accepted as
     * `avatarId`, or, with `hold`, taken and never answered (a process about to exit).
     */
    const wireChecker = async (name: string, avatarId: string, options: { readonly hold?: () => void; readonly kind?: string } = {}) => {
      const s = await bus();
      const announcement = json({ name, kinds: [options.kind ?? "username-password"] });
      s.subscribe(`cred.checker.${name}`, (m) => {
        const credentials = parse(m.data)["credentials"];
        if (credentials !== undefined && options.hold) return void options.hold();
        m.respond(credentials === undefined ? json({ ok: false, error: { code: "BadRequest", message: "credentials: required" } }) : json({ ok: true, avatarId }));
      }, { queue: `cred.checker.${name}` });
      s.subscribe("cred.checkers.discover", (m) => void (m.reply !== undefined && s.publish(m.reply, announcement)));
      s.publish("cred.checkers.announce", announcement);
      await s.flush();
      return { announce: () => s.publish("cred.checkers.announce", announcement), withdraw: () => s.publish("cred.checkers.withdraw", json({ name })), bus: s };
    };

    it("restores the previous checker at once when a checker withdraws without instance, though it still serves; keeps it below as a fallback, and on top again when it announces", async () => {
      // An outside probe: a checker built from PROTOCOL.md alone withdrew and went on answering
      // discover and its subject, and kept every login (PROTOCOL.md: "withdrawing it restores the previous one").
      await portal({ checkers: [] });
      const previous = await wireChecker("previous", "from-previous");
      await sleep(20);
      const lingering = await wireChecker("lingering", "from-lingering");
      await sleep(50);
      const b = await bus();
      expect(await login(b)).toMatchObject({ ok: true, avatarId: "from-lingering" });
      lingering.withdraw();
      await lingering.bus.flush();
      await sleep(20);
      expect(await login(b)).toMatchObject({ ok: true, avatarId: "from-previous" });
      // The round (250 ms) finds it still served: kept, below.
      await sleep(500);
      expect(await login(b)).toMatchObject({ ok: true, avatarId: "from-previous" });
      // Answers to discover do not lift it.
      b.publish("cred.checkers.discover", new Uint8Array(), { reply: "_INBOX.nobody" });
      await sleep(50);
      expect(await login(b)).toMatchObject({ ok: true, avatarId: "from-previous" });
      // The previous one stops: the withdrawn one is what is left, and takes the logins.
      previous.withdraw();
      await previous.bus.close();
      await sleep(500);
      expect(await login(b)).toMatchObject({ ok: true, avatarId: "from-lingering" });
      // With both serving again, a live announcement of the withdrawn one puts it back on top.
      const back = await wireChecker("previous", "from-previous");
      await sleep(50);
      expect(await login(b)).toMatchObject({ ok: true, avatarId: "from-previous" });
      lingering.announce();
      await sleep(50);
      expect(await login(b)).toMatchObject({ ok: true, avatarId: "from-lingering" });
      void back;
    });

    it("asks on P.checkers.discover with a JSON object, as PROTOCOL.md has every payload, and a reply subject", async () => {
      // An outside probe's checker saw an empty payload there.
      const spy = await bus();
      const seen: Array<{ data: Uint8Array; reply: string | undefined }> = [];
      spy.subscribe("cred.checkers.discover", (m) => void seen.push({ data: m.data, reply: m.reply }));
      await spy.flush();
      await portal({ checkers: [] });
      await waitFor(() => seen.length > 0, 2_000);
      expect(new TextDecoder().decode(seen[0]!.data)).toBe("{}");
      expect(seen[0]!.reply).toMatch(/^_INBOX\./);
    });

    it("completes the withdrawal of a checker built from PROTOCOL.md alone that went on serving a moment and then stopped: 'try again' for the grace, then UnhandledCredentials", async () => {
      // An outside probe: withdrawn, it drained for a second and unsubscribed; its kind then got
      // LoginFailed ("try again") for good, as for a checker that crashed without a word.
      await portal({ checkers: [], checkerWithdrawnGraceMs: 600 });
      const lone = await wireChecker("lone", "from-lone", { kind: "x-lone" });
      await sleep(50);
      const b = await bus();
      const attempt = async () => {
        const reply = await login(b, { credentials: { kind: "x-lone" } });
        return reply["ok"] === true ? reply["avatarId"] : reply["error"].code;
      };
      expect(await attempt()).toBe("from-lone");
      lone.withdraw();
      await lone.bus.flush();
      // The round finds it still served: kept as the fallback, the only checker of its kind.
      await sleep(400);
      expect(await attempt()).toBe("from-lone");
      await lone.bus.close();
      expect(await attempt()).toBe("LoginFailed");
      expect(await attempt()).toBe("LoginFailed");
      await sleep(800);
      expect(await attempt()).toBe("UnhandledCredentials");
    });

    it("swaps in a checker built from PROTOCOL.md alone whose first announcement follows its answer to a portal's discover", async () => {
      // An outside probe: a checker starting while a discover was out answered it before it
      // announced, and its announcement was then taken for a repeat: the older checker kept its kind.
      await portal({ checkers: [] });
      await wireChecker("older", "from-older");
      const other = await wireChecker("other", "from-other", { kind: "x-other" });
      await sleep(50);
      const b = await bus();
      expect(await login(b)).toMatchObject({ ok: true, avatarId: "from-older" });
      // The newer one answers the discover that a withdrawal sets off, and announces right after.
      const s = await bus();
      const announcement = json({ name: "newer", kinds: ["username-password"] });
      s.subscribe("cred.checker.newer", (m) => void m.respond(json({ ok: true, avatarId: "from-newer" })), { queue: "cred.checker.newer" });
      let answered = 0;
      s.subscribe("cred.checkers.discover", (m) => {
        if (m.reply === undefined) return;
        s.publish(m.reply, announcement);
        if (answered++ === 0) s.publish("cred.checkers.announce", announcement);
      });
      await s.flush();
      other.withdraw();
      await waitFor(() => answered > 0, 2_000);
      await sleep(50);
      expect(await login(b)).toMatchObject({ ok: true, avatarId: "from-newer" });
      // Its later announcements are repeats: a newer checker announced since stays on top.
      await wireChecker("newest", "from-newest");
      await sleep(50);
      s.publish("cred.checkers.announce", announcement);
      await sleep(50);
      expect(await login(b)).toMatchObject({ ok: true, avatarId: "from-newest" });
    });

    it("falls back for the checks a checker built from PROTOCOL.md alone held when it withdrew and exited at once, within seconds, not at the check timeout", async () => {
      // An outside probe: 8 of 8 logins in flight waited 10 s and failed with LoginFailed, though the previous checker was up.
      await portal({ checkers: [] });
      await wireChecker("previous", "from-previous");
      await sleep(20);
      let held = 0;
      // Takes checks and never answers them: it is about to exit.
      const quitter = await wireChecker("quitter", "from-quitter", { hold: () => held++ });
      await sleep(50);
      const b = await bus();
      const started = performance.now();
      // Four accounts: one account's logins are checked one after another (the rate limiter's turn).
      const logins = Promise.all([0, 1, 2, 3].map((i) => login(b, { credentials: { kind: "username-password", username: `player${i}`, password: "pw" } })));
      await waitFor(() => held === 4, 2_000);
      quitter.withdraw();
      await quitter.bus.close();
      const replies = await logins;
      expect(replies.map((r) => r["avatarId"])).toEqual(["from-previous", "from-previous", "from-previous", "from-previous"]);
      expect(performance.now() - started).toBeLessThan(6_000);
    }, 15_000);

    it("hands the previous checker the logins while one of two copies of a checker built from PROTOCOL.md alone restarts, and the restarted copy's announcement takes them back", async () => {
      await portal({ checkers: [] });
      await wireChecker("previous", "from-previous");
      await sleep(20);
      const leaving = await wireChecker("copies", "from-copies");
      await wireChecker("copies", "from-copies");
      await sleep(50);
      const b = await bus();
      expect(await login(b)).toMatchObject({ ok: true, avatarId: "from-copies" });
      leaving.withdraw();
      await leaving.bus.close();
      await sleep(500);
      expect(await login(b)).toMatchObject({ ok: true, avatarId: "from-previous" });
      await wireChecker("copies", "from-copies");
      await sleep(50);
      expect(await login(b)).toMatchObject({ ok: true, avatarId: "from-copies" });
    });

    it("has an operator's withdrawal without instance restore the previous checker over a checker service that still runs: its processes do not announce themselves again", async () => {
      await portal({ checkers: [] });
      const first = await serveChecker(await bus(), new InMemoryUsernamePasswordDatabaseDontUse({ alice: "one" }), { name: "first" });
      await sleep(20);
      services.push(await serveChecker(await bus(), new InMemoryUsernamePasswordDatabaseDontUse({ alice: "two" }), { name: "second" }));
      await sleep(50);
      const b = await bus();
      const withPassword = (password: string) => ({ credentials: { kind: "username-password", username: "alice", password } });
      expect((await login(b, withPassword("two")))["ok"]).toBe(true);
      const announced: string[] = [];
      b.subscribe("cred.checkers.announce", (m) => void announced.push(String(parse(m.data)["name"])));
      b.publish("cred.checkers.withdraw", json({ name: "second" }));
      await b.flush();
      await sleep(500);
      expect(announced).toEqual([]);
      expect((await login(b, withPassword("one")))["ok"]).toBe(true);
      expect((await login(b, withPassword("two")))["ok"]).toBe(false);
      // Still known, below: the fallback when the first goes.
      await first.stop();
      await sleep(500);
      expect((await login(b, withPassword("two")))["ok"]).toBe(true);
    });

    it("takes the kinds a rolling upgrade's new version announces once the old version withdrew", async () => {
      // An outside probe: a kind the new version added stayed unhandled on portals that knew the old one.
      const service = await portal({ checkers: [] });
      const old = await serveChecker(await bus(), checker(), { name: "auth" });
      await sleep(50);
      const extended = Object.assign(checker(), { credentialKinds: ["username-password", "x-upgraded"] });
      services.push(await serveChecker(await bus(), extended, { name: "auth" }));
      await sleep(100);
      // Both versions serve: the name keeps the kinds it first had.
      expect(service.portal.listCredentialsKinds()).not.toContain("x-upgraded");
      await old.stop();
      await sleep(200);
      expect(service.portal.listCredentialsKinds()).toEqual(expect.arrayContaining(["username-password", "x-upgraded"]));
      expect(await login(await bus())).toMatchObject({ ok: true, avatarId: "alice" });
    });

    it("takes the kinds a checker built from PROTOCOL.md alone announces when it starts again after a crash, added or removed", async () => {
      // An outside probe: killed (no withdrawal) and started again with other kinds, such a
      // checker was routed by its old ones for good. Played on the wire: no instance ids.
      const service = await portal({ checkers: [] });
      const b = await bus();
      const served: string[] = [];
      b.subscribe("cred.checker.multi", (m) => {
        const { credentials } = parse(m.data);
        served.push(credentials.kind);
        m.respond(json(credentials.kind === "anonymous" ? { ok: true, avatarId: null, anonymous: true } : { ok: true, avatarId: credentials.username }));
      });
      b.subscribe("cred.checker.anonold", (m) => void m.respond(json({ ok: true, avatarId: null, anonymous: true })));
      const announce = async (name: string, kinds: string[]) => {
        b.publish("cred.checkers.announce", json({ name, kinds }));
        await b.flush();
        await sleep(100);
      };
      const anonymous = () => request(b, "cred.login", { credentials: { kind: "anonymous" }, interfaces: ["echo"] });
      await announce("anonold", ["anonymous"]);
      await announce("multi", ["username-password"]);
      // Started again, a kind added: the name handles it at once.
      await announce("multi", ["username-password", "anonymous"]);
      expect(service.portal.listCredentialsKinds()).toEqual(expect.arrayContaining(["username-password", "anonymous"]));
      expect(await anonymous()).toMatchObject({ ok: true, anonymous: true });
      expect(served).toEqual(["anonymous"]);
      // Started again, that kind removed: the live checker below takes it again.
      await announce("multi", ["username-password"]);
      expect(await anonymous()).toMatchObject({ ok: true, anonymous: true });
      expect(served).toEqual(["anonymous"]);
      expect(await login(b)).toMatchObject({ ok: true, avatarId: "alice" });
      // An answer to `discover` with other kinds (an older copy still running) changes nothing.
      let answered = 0;
      b.subscribe("cred.checkers.discover", (m) => {
        answered++;
        m.respond(json({ name: "multi", kinds: ["username-password", "anonymous"] }));
      });
      await b.flush();
      // A withdrawal makes the portal publish `discover` (its 250 ms confirmation round).
      await announce("ghost", ["x-ghost"]);
      b.publish("cred.checkers.withdraw", json({ name: "ghost" }));
      await waitFor(() => answered > 0);
      await sleep(400);
      expect(await anonymous()).toMatchObject({ ok: true, anonymous: true });
      expect(served).toEqual(["anonymous", "username-password"]);
    });

    it("forgets made-up names before a checker that answers checks, however fast they come", async () => {
      // An outside probe: a burst of names past maxCheckers made a portal forget its busy checker.
      const logs = captureLogs("info");
      const service = await portal({ checkers: [], maxCheckers: 3, logger: logs.logger });
      services.push(await serveChecker(await bus(), checker(), { name: "pw" }));
      await sleep(50);
      expect(await login(await bus())).toMatchObject({ ok: true, avatarId: "alice" });
      const other = await bus();
      // All at once: no check is answered in between.
      for (let i = 0; i < 4; i++) other.publish("cred.checkers.announce", json({ name: `c${i}`, kinds: [`x-kind${i}`] }));
      await other.flush();
      await sleep(100);
      expect(service.portal.listCredentialsKinds()).toContain("username-password");
      expect(await login(await bus())).toMatchObject({ ok: true, avatarId: "alice" });
      const forgot = logs.lines.map((line) => JSON.parse(line) as { event?: string; forgot?: string }).filter((e) => e.event === "checker-limit").map((e) => e.forgot);
      expect(forgot).not.toContain("pw");
    });

    it("keeps at most maxCheckers checker names, forgetting the least recently active for a new one (a checker answering logins stays), and logs floods of both kinds once", async () => {
      const logs = captureLogs("info");
      const service = await portal({ checkers: [], maxCheckers: 3, logger: logs.logger });
      services.push(await serveChecker(await bus(), checker(), { name: "pw" }));
      const other = await bus();
      const announce = async (i: number) => {
        other.publish("cred.checkers.announce", json({ name: `c${i}`, kinds: [`x-kind${i}`] }));
        await other.flush();
        await sleep(50);
      };
      await announce(0);
      await announce(1);
      // In use: answering a check makes it the most recently active.
      expect(await login(await bus())).toMatchObject({ ok: true, avatarId: "alice" });
      await announce(2);
      await announce(3);
      const kinds = service.portal.listCredentialsKinds();
      expect(kinds).toEqual(expect.arrayContaining(["username-password", "x-kind2", "x-kind3"]));
      expect(kinds).not.toContain("x-kind0");
      expect(kinds).not.toContain("x-kind1");
      expect(await login(await bus())).toMatchObject({ ok: true, avatarId: "alice" });
      for (let i = 0; i < 50; i++) other.publish("cred.checkers.withdraw", new TextEncoder().encode(`garbage ${i}`));
      await other.flush();
      await sleep(200);
      const warnings = logs.lines.map((line) => JSON.parse(line) as { level: number; msg: string; event?: string; forgot?: string }).filter((e) => e.level === 40);
      // The first of each burst at once; the rest counted in one line when 10 s have passed.
      expect(warnings.filter((w) => w.event === "checker-limit").map((w) => w.forgot)).toEqual(["c0"]);
      expect(warnings.filter((w) => w.msg === "ignored a malformed checker message")).toHaveLength(1);
    });

    it("treats checkers that have no responders as withdrawn and falls back past all of them within one login", async () => {
      const service = await portal({ checkers: [checker()] });
      // Two ghosts stacked on the live checker (two hot-swaps whose processes died without withdrawing).
      for (const name of ["ghost1", "ghost2"]) {
        const checkerBus = await bus();
        await serveChecker(checkerBus, new InMemoryUsernamePasswordDatabaseDontUse({}), { name });
        await sleep(50);
        await checkerBus.close();
      }
      expect(await login(await bus())).toMatchObject({ ok: true, avatarId: "alice" });
      expect(service.portal.listCredentialsKinds()).toContain("username-password");
    });

    it("keeps a withdrawn checker's grace when a login met no responders during the withdrawal's 250 ms confirmation", async () => {
      const prefix = "graced";
      await portal({ checkers: [], prefix, checkerWithdrawnGraceMs: 1_500 });
      const client = await bus();
      const attempt = async () =>
        (await request(client, `${prefix}.login`, { credentials: { kind: "username-password", username: "alice", password: "secret" }, interfaces: ["echo"] }))["error"]?.code ?? "ok";
      const checker = await serveChecker(await bus(), new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" }), { name: "leaving", prefix });
      await sleep(50);
      expect(await attempt()).toBe("ok");
      await checker.stop();
      // Inside the confirmation: the checker is still known, and meets no responders.
      expect(await attempt()).toBe("LoginFailed");
      await sleep(400);
      // Dropped by the withdrawal: "try again" for the grace, as for a clean stop without logins.
      expect(await attempt()).toBe("LoginFailed");
      // The grace runs from the drop, 250 ms after the withdrawal.
      await sleep(1_600);
      expect(await attempt()).toBe("UnhandledCredentials");
    });

    it("answers LoginFailed, not UnhandledCredentials, while a kind's only checker is down, until it announces again or withdraws", async () => {
      const prefix = "lonely";
      await portal({ checkers: [], prefix, checkerWithdrawnGraceMs: 300 });
      const client = await bus();
      const attempt = async () =>
        request(client, `${prefix}.login`, { credentials: { kind: "username-password", username: "alice", password: "secret" }, interfaces: ["echo"] });
      const checkerBus = await bus();
      await serveChecker(checkerBus, new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" }), { name: "gone", prefix });
      await sleep(50);
      expect(await attempt()).toMatchObject({ ok: true });
      await checkerBus.close();
      // The first login finds it gone; the ones after must not claim the kind is unsupported.
      for (let i = 0; i < 3; i++) expect((await attempt())["error"]).toMatchObject({ code: "LoginFailed" });
      // It comes back (a restarted process announces itself): logins work again.
      const backBus = await bus();
      const back = await serveChecker(backBus, new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" }), { name: "gone", prefix });
      await sleep(50);
      expect(await attempt()).toMatchObject({ ok: true });
      // A withdrawal may be a restart: "try again" for the grace period (an outside probe saw a
      // rolling restart tell clients their kind was unsupported), then the kind is not served here.
      await back.stop();
      await sleep(50);
      expect((await attempt())["error"]).toEqual({ code: "LoginFailed", message: "no checker available; try again" });
      // The grace runs from the drop, 250 ms after the withdrawal (and its instance found gone).
      await sleep(800);
      expect((await attempt())["error"]).toMatchObject({ code: "UnhandledCredentials" });
    });
  });
}
