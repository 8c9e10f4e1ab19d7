/** Supervised sessions (restart, give-up, waiting calls, logout once on every path) as one suite, run over every transport. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Bus } from "../../../transports/bus.ts";
import {
  connect,
  InMemoryUsernamePasswordDatabaseDontUse,
  Portal,
  RemoteMind,
  RemoteRealm,
  servePortal,
  serveRealm,
  silentLogger,
  subjectsFor,
  UsernamePassword,
  type Notification,
} from "../../../actors/index.ts";
import { hostSession, type HostedSession } from "../../../actors/services/portal-session.ts";
import { EndedSessionLinger } from "../../../actors/services/ended-sessions.ts";
import { CRASHED_MESSAGE, GAVE_UP_MESSAGE } from "../../../actors/supervision/avatar-crashed.ts";
import type { RestartPolicy } from "../../../machines/session-supervisor.ts";
import { newIdentifier } from "../../../actors/wire/identifiers.ts";
import { CrashRealm, type CrashRealmOptions } from "../../support/crash-realm.ts";
import { type Network, json, parse, sleep, waitFor } from "../../support/wire.ts";




/** Where the avatar lives: in the portal's process, or in a realm service the portal reaches over the bus. */
type Hosting = "portal" | "realm service";

interface OpenOptions extends CrashRealmOptions {
  readonly policy?: Partial<RestartPolicy>;
  readonly callWaitMs?: number;
  /** 0: no heartbeat timeout. */
  readonly heartbeatMs?: number;
}

interface Opened {
  readonly id: string;
  readonly realm: CrashRealm;
  /** Every message published on the session's mind subject, decoded. */
  readonly mind: Array<Record<string, any>>;
  readonly shutdown: () => Promise<void>;
  /** Only where the test holds the session itself (portal hosting). */
  readonly revoke?: () => Promise<void>;
}

const fastPolicy: Partial<RestartPolicy> = { maxRestarts: 3, periodMs: 10_000, backoffMs: 10, maxBackoffMs: 50 };

export function supervisionContract(name: string, makeNetwork: () => Promise<Network>): void {
  describe.each<Hosting>(["portal", "realm service"])(`supervised sessions over ${name}, avatar hosted by the %s`, (hosting) => {
    let network: Network;
    let buses: Bus[];
    let closers: Array<() => Promise<unknown>>;
    let client: Bus;

    const bus = async () => {
      const b = await network.connect();
      buses.push(b);
      return b;
    };
    const checker = () => new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" });
    const request = async (subject: string, body: unknown) => parse(await client.request(subject, json(body), { timeoutMs: 5000 }));
    const call = (s: Opened, method: string, ...args: unknown[]) => request(`cred.session.${s.id}.call`, { method, args });

    async function open(options: OpenOptions = {}): Promise<Opened> {
      const realm = new CrashRealm(options);
      const supervision = { policy: { ...fastPolicy, ...options.policy }, ...(options.callWaitMs ? { callWaitMs: options.callWaitMs } : {}) };
      const mindSubject = client.inbox();
      const mind: Array<Record<string, any>> = [];
      client.subscribe(mindSubject, (m) => void mind.push(parse(m.data)));
      await client.flush();
      if (hosting === "portal") {
        // What the portal's login completion does, with the realm handed over for restarts.
        const hostBus = await bus();
        const sessionMs = options.heartbeatMs ? Math.round(options.heartbeatMs * 2.5) : 0;
        const portal = new Portal(realm, [checker()], { timeouts: { sessionMs } });
        const id = newIdentifier();
        const remoteMind = new RemoteMind(hostBus, mindSubject, id);
        const session = portal.openSession(new UsernamePassword("alice", "secret"), remoteMind, ["echo"]);
        const grant = await session.ready;
        // As servePortal does: the ended session's subjects linger, answering SessionEnded.
        const linger = new EndedSessionLinger();
        const hosted: HostedSession = hostSession(hostBus, subjectsFor(), { id, session, grant, mind: remoteMind, logger: silentLogger, realm, supervision, linger });
        closers.push(() => hosted.shutdown().then(() => linger.close()));
        await hostBus.flush();
        return { id, realm, mind, shutdown: () => hosted.shutdown().then(() => undefined), revoke: () => hosted.revoke().then(() => undefined) };
      }
      const realmService = await serveRealm(await bus(), realm, { name: "game", supervision });
      const portalService = await servePortal(await bus(), {
        realm: new RemoteRealm(buses[buses.length - 1]!, "game"),
        checkers: [checker()],
        discoverCheckers: false,
        ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
      });
      closers.push(() => realmService.stop(), () => portalService.close());
      const reply = await request("cred.login", {
        credentials: { kind: "username-password", username: "alice", password: "secret" },
        interfaces: ["echo"],
        mind: mindSubject,
      });
      expect(reply["ok"]).toBe(true);
      return { id: reply["session"], realm, mind, shutdown: () => portalService.close() };
    }

    const endedReason = (s: Opened) => s.mind.find((m) => m["type"] === "ended")?.["reason"];

    beforeEach(async () => {
      network = await makeNetwork();
      buses = [];
      closers = [];
      client = await bus();
    });
    afterEach(async () => {
      for (const close of closers.reverse()) await close();
      for (const b of buses) await b.close();
      await network.teardown();
    });

    it("restarts a crashed avatar by asking the realm again and keeps the session", async () => {
      const s = await open();
      expect(await call(s, "ok")).toEqual({ ok: true, result: 0 });
      expect(await call(s, "crash")).toEqual({ ok: false, error: { code: "AvatarError", message: CRASHED_MESSAGE } });
      expect(await call(s, "ok")).toEqual({ ok: true, result: 1 });
      expect(await request(`cred.session.${s.id}.ping`, {})).toEqual({ ok: true });
      // The crashed avatar was logged out when it crashed; the new one is live.
      expect(s.realm.logouts).toEqual([1, 0]);
      expect(await request(`cred.session.${s.id}.logout`, {})).toEqual({ ok: true });
      await waitFor(() => endedReason(s) !== undefined);
      expect(endedReason(s)).toBe("logout");
      expect(s.realm.logouts).toEqual([1, 1]);
    });

    it("answers an ordinary exception with a safe AvatarError and keeps the same avatar", async () => {
      const s = await open();
      expect(await call(s, "oops")).toEqual({ ok: false, error: { code: "AvatarError", message: "the avatar method failed" } });
      expect(await call(s, "ok")).toEqual({ ok: true, result: 0 });
      expect(s.realm.requests).toBe(1);
    });

    it("gives up after maxRestarts within the period: the Mind gets ended/avatar-failed, then calls get SessionEnded", async () => {
      const s = await open({ policy: { maxRestarts: 1 } });
      await call(s, "crash");
      expect(await call(s, "ok")).toEqual({ ok: true, result: 1 });
      // The crash that makes it give up says so, rather than promising a restart.
      expect(await call(s, "crash")).toEqual({ ok: false, error: { code: "AvatarError", message: GAVE_UP_MESSAGE } });
      await waitFor(() => endedReason(s) !== undefined);
      expect(endedReason(s)).toBe("avatar-failed");
      expect(s.mind[s.mind.length - 1]).toEqual({ session: s.id, type: "ended", reason: "avatar-failed", seq: 1 });
      await waitFor(() => s.realm.totalLogouts === 2);
      await sleep(20);
      // From the portal's lingering subscription: the realm service let go of the avatar.
      expect(await call(s, "ok")).toMatchObject({ ok: false, error: { code: "SessionEnded" } });
      expect(await request(`cred.session.${s.id}.ping`, {})).toMatchObject({ ok: false, error: { code: "SessionEnded" } });
      expect(s.realm.logouts).toEqual([1, 1]);
    });

    it("makes calls made during a restart wait for the new avatar and succeed", async () => {
      const s = await open({ restartDelayMs: 200 });
      const crashed = call(s, "crash");
      await sleep(20);
      const started = Date.now();
      const results = await Promise.all([call(s, "ok"), call(s, "ok"), call(s, "ok")]);
      expect(results).toEqual([1, 1, 1].map((result) => ({ ok: true, result })));
      expect(Date.now() - started).toBeGreaterThanOrEqual(100);
      expect((await crashed)["error"].code).toBe("AvatarError");
      expect(s.realm.requests).toBe(2);
    });

    it("answers AvatarError to a call that waits longer than callWaitMs for a restart, and serves later calls", async () => {
      const s = await open({ restartDelayMs: 400, callWaitMs: 100 });
      await call(s, "crash");
      expect(await call(s, "ok")).toEqual({ ok: false, error: { code: "AvatarError", message: "the avatar is restarting; try again" } });
      await sleep(400);
      expect(await call(s, "ok")).toEqual({ ok: true, result: 1 });
    });

    it("logs out a replacement that arrives after the session ended during its restart", async () => {
      const s = await open({ restartDelayMs: 300 });
      await call(s, "crash");
      // Past the 10 ms backoff: the realm is answering the restart.
      await sleep(60);
      expect(s.realm.requests).toBe(2);
      expect(await request(`cred.session.${s.id}.logout`, {})).toEqual({ ok: true });
      await waitFor(() => endedReason(s) !== undefined);
      expect(endedReason(s)).toBe("logout");
      await waitFor(() => s.realm.requests === 2 && s.realm.totalLogouts === 2, 3000);
      expect(s.realm.logouts).toEqual([1, 1]);
    });

    it("supervises an xstate avatar: calls as events, replies as emitted events, an actor error is a crash", async () => {
      const s = await open({ machine: true });
      expect(await call(s, "increment")).toEqual({ ok: true, result: 1 });
      expect(await call(s, "increment")).toEqual({ ok: true, result: 2 });
      expect(await call(s, "refuse")).toEqual({ ok: false, error: { code: "AvatarError", message: "not now" } });
      expect(await call(s, "fly")).toEqual({ ok: false, error: { code: "NoSuchMethod", message: "no such method: fly" } });
      expect(s.realm.requests).toBe(1);
      expect(await call(s, "crash")).toEqual({ ok: false, error: { code: "AvatarError", message: CRASHED_MESSAGE } });
      // A fresh incarnation: the state was rebuilt by the realm.
      expect(await call(s, "increment")).toEqual({ ok: true, result: 1 });
      expect(s.realm.logouts).toEqual([1, 0]);
    });

    describe("logs each avatar out exactly once", () => {
      const paths: Array<[string, string, (s: Opened) => Promise<unknown>, OpenOptions?]> = [
        ["an explicit logout", "logout", (s) => request(`cred.session.${s.id}.logout`, {})],
        ["a double logout", "logout", (s) => Promise.all([request(`cred.session.${s.id}.logout`, {}), request(`cred.session.${s.id}.logout`, {})])],
        ["missed heartbeats", "timeout", () => sleep(400), { heartbeatMs: 100 }],
        ["process shutdown", "shutdown", (s) => s.shutdown()],
        ["supervisor give-up", "avatar-failed", async (s) => void (await call(s, "crash")), { policy: { maxRestarts: 1 } }],
      ];
      if (hosting === "portal") paths.push(["revocation", "revoked", (s) => s.revoke!()]);

      it.each(paths)("on %s", async (_path, reason, end, options) => {
        const s = await open(options);
        // One restart first, so two avatars were handed out.
        await call(s, "crash");
        expect(await call(s, "ok")).toEqual({ ok: true, result: 1 });
        await end(s);
        await waitFor(() => endedReason(s) !== undefined);
        expect(endedReason(s)).toBe(reason);
        await waitFor(() => s.realm.totalLogouts === 2);
        await sleep(50);
        await s.shutdown();
        expect(s.realm.logouts).toEqual([1, 1]);
        expect(s.mind.filter((m) => m["type"] === "ended")).toHaveLength(1);
      });
    });

    if (hosting === "realm service") {
      it("iterates a session's notifications with for await, ending when the session ends", async () => {
        await open();
        const session = await connect(client).login(new UsernamePassword("alice", "secret"), { interfaces: ["echo"], mind: true });
        const seen: Notification[] = [];
        const reading = (async () => {
          for await (const n of session.notifications()) seen.push(n);
        })();
        await session.call("announce", "a");
        await session.call("announce", "b");
        await waitFor(() => seen.length === 2);
        await session.logout();
        await reading;
        expect(seen).toEqual([
          { event: "announce", data: { text: "a" } },
          { event: "announce", data: { text: "b" } },
        ]);
        expect(await session.closed).toBe("logout");
      });

      it("ends the notification loop and `closed` with avatar-failed when the supervisor gives up", async () => {
        await open({ policy: { maxRestarts: 0 } });
        const callbacks: Notification[] = [];
        const session = await connect(client).login(new UsernamePassword("alice", "secret"), { interfaces: ["echo"], mind: (n) => callbacks.push(n) });
        const seen: Notification[] = [];
        const reading = (async () => {
          for await (const n of session.notifications()) seen.push(n);
        })();
        await session.call("announce", "x");
        await expect(session.call("crash")).rejects.toMatchObject({ code: "AvatarError" });
        await reading;
        expect(await session.closed).toBe("avatar-failed");
        expect(seen).toEqual([{ event: "announce", data: { text: "x" } }]);
        expect(callbacks).toEqual(seen);
      });
    }
  });

  describe(`servePortal's hosting options over ${name}, for a local realm's sessions`, () => {
    let network: Network;
    let buses: Bus[];
    let closers: Array<() => Promise<unknown>>;
    const bus = async () => {
      const b = await network.connect();
      buses.push(b);
      return b;
    };
    beforeEach(async () => {
      network = await makeNetwork();
      buses = [];
      closers = [];
    });
    afterEach(async () => {
      for (const close of closers.reverse()) await close();
      for (const b of buses) await b.close();
      await network.teardown();
    });

    /** A portal of its own (`prefix`) with a CrashRealm in its process and `options`; a login with a Mind recording what it gets. */
    async function login(prefix: string, options: Partial<Parameters<typeof servePortal>[1]>) {
      const service = await servePortal(await bus(), { realm: new CrashRealm(), checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })], discoverCheckers: false, prefix, ...options });
      closers.push(() => service.close());
      const client = await bus();
      const mind: Array<Record<string, any>> = [];
      const mindSubject = client.inbox();
      client.subscribe(mindSubject, (m) => void mind.push(parse(m.data)));
      await client.flush();
      const reply = parse(await client.request(`${prefix}.login`, json({ credentials: { kind: "username-password", username: "alice", password: "secret" }, interfaces: ["echo"], mind: mindSubject }), { timeoutMs: 5000 }));
      expect(reply["ok"]).toBe(true);
      const call = async (method: string, ...args: unknown[]) => parse(await client.request(`${prefix}.session.${reply["session"]}.call`, json({ method, args }), { timeoutMs: 5000 }));
      return { mind, call };
    }

    it("applies `supervision`: with maxRestarts 0 the first crash ends the session with avatar-failed, where the default restarts", async () => {
      const strict = await login("strict", { supervision: { policy: { maxRestarts: 0 } } });
      await strict.call("crash");
      await waitFor(() => strict.mind.some((m) => m["type"] === "ended"), 3000);
      expect(strict.mind.find((m) => m["type"] === "ended")?.["reason"]).toBe("avatar-failed");
      const lenient = await login("lenient", {});
      await lenient.call("crash");
      // Restarted: the realm's second avatar (incarnation 1) answers; a call made meanwhile waits for it.
      expect(await lenient.call("ok")).toEqual({ ok: true, result: 1 });
      expect(lenient.mind.filter((m) => m["type"] === "ended")).toEqual([]);
    });

    it("applies `mindLimits`: a burst of 2 at 1 per second holds back the third notification, where the default sends all five", async () => {
      const limited = await login("limited", { mindLimits: { burst: 2, ratePerSecond: 1 } });
      const open = await login("open", {});
      for (let i = 0; i < 5; i++) {
        await limited.call("announce", `n${i}`);
        await open.call("announce", `n${i}`);
      }
      await sleep(300);
      expect(limited.mind.filter((m) => m["type"] === "notify")).toHaveLength(2);
      expect(open.mind.filter((m) => m["type"] === "notify")).toHaveLength(5);
    });

    it("refuses hosting options that are not sensible numbers, naming the option", async () => {
      const b = await bus();
      await expect(servePortal(b, { realm: new CrashRealm(), supervision: { policy: { maxRestarts: -1 } } })).rejects.toThrow(/supervision\.policy\.maxRestarts/);
      await expect(servePortal(b, { realm: new CrashRealm(), supervision: { callWaitMs: 0 } })).rejects.toThrow(/supervision\.callWaitMs/);
      await expect(servePortal(b, { realm: new CrashRealm(), mindLimits: { burst: 0 } })).rejects.toThrow(/mindLimits\.burst/);
      await expect(servePortal(b, { realm: new CrashRealm(), mindLimits: { ratePerSecond: Number.NaN } })).rejects.toThrow(/mindLimits\.ratePerSecond/);
      await expect(serveRealm(b, new CrashRealm(), { name: "game", mindLimits: { maxQueued: 1.5 } })).rejects.toThrow(/mindLimits\.maxQueued/);
    });
  });
}
