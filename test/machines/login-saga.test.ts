/**
 * The login saga alone: effects replaced by controllable promises, time by xstate's SimulatedClock.
 * Every behaviour is checked under both runners the Portal uses: xstate's Actor and LeanActor.
 */
import { describe, expect, it } from "vitest";
import { createActor, SimulatedClock } from "xstate";
import { LeanActor, type RunningMachine } from "../../actors/lean-actor.ts";
import { loginSagaMachine, type LoginSagaInput } from "../../machines/login-saga.ts";

type SagaMachine = typeof loginSagaMachine;
type Run = (machine: SagaMachine, options: { clock: SimulatedClock; input: LoginSagaInput }) => RunningMachine<SagaMachine>;

const RUNNERS: [string, Run][] = [
  ["xstate Actor", (machine, options) => createActor(machine, options)],
  ["LeanActor", (machine, options) => new LeanActor(machine, options)],
];

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe.each(RUNNERS)("loginSagaMachine in %s", (_name, run) => {
  function harness(timeouts: Record<string, number> = {}) {
    const checker = deferred<unknown>();
    const realm = deferred<unknown>();
    const calls = { check: 0, realm: 0, logout: 0 };
    const clock = new SimulatedClock();
    // The effects report back by events, as the Portal's do.
    const machine = loginSagaMachine.provide({
      actions: {
        checkCredentials: ({ self }) => {
          calls.check += 1;
          checker.promise.then(
            (avatarId) => self.send({ type: "CHECKED", avatarId }),
            (error: unknown) => self.send({ type: "CHECK_FAILED", error }),
          );
        },
        requestAvatar: ({ self }) => {
          calls.realm += 1;
          realm.promise.then(
            (grant) => self.send({ type: "GRANTED", grant }),
            (error: unknown) => self.send({ type: "REALM_FAILED", error }),
          );
        },
        logoutAvatar: ({ self }) => {
          calls.logout += 1;
          queueMicrotask(() => self.send({ type: "LOGGED_OUT" }));
        },
      },
    });
    const actor = run(machine, {
      clock,
      input: { credentials: { secret: "pw" }, mind: null, interfaces: ["i"], timeouts },
    });
    actor.start();
    return { actor, checker, realm, calls, clock };
  }

  it("goes checking → resolvingAvatar → active", async () => {
    const { actor, checker, realm } = harness();
    expect(actor.getSnapshot().value).toBe("checking");
    checker.resolve("alice");
    await tick();
    expect(actor.getSnapshot().matches("resolvingAvatar")).toBe(true);
    realm.resolve({ grant: 1 });
    await tick();
    expect(actor.getSnapshot().matches("active")).toBe(true);
    expect(actor.getSnapshot().context.avatarId).toBe("alice");
  });

  it("drops the credentials from its context once they are checked", async () => {
    const { actor, checker } = harness();
    expect(actor.getSnapshot().context.credentials).toEqual({ secret: "pw" });
    checker.resolve("alice");
    await tick();
    expect(actor.getSnapshot().context.credentials).toBeNull();
  });

  it("fails at the checker step when the checker rejects", async () => {
    const { actor, checker } = harness();
    checker.reject(new Error("refused"));
    await tick();
    const snapshot = actor.getSnapshot();
    expect(snapshot.value).toBe("failed");
    expect(snapshot.output?.failure).toMatchObject({ step: "checker", timedOut: false });
  });

  it("fails with a checker timeout when the checker does not answer", async () => {
    const { actor, clock } = harness({ checkMs: 100 });
    clock.increment(101);
    expect(actor.getSnapshot().value).toBe("failed");
    expect(actor.getSnapshot().output?.failure).toEqual({ step: "checker", timedOut: true });
  });

  it("releases an avatar that arrives after the client logged out, exactly once", async () => {
    const { actor, checker, realm, calls } = harness();
    checker.resolve("alice");
    await tick();
    actor.send({ type: "LOGOUT" });
    actor.send({ type: "LOGOUT" });
    expect(actor.getSnapshot().matches("abandoned")).toBe(true);
    realm.resolve({ grant: 1 });
    await tick();
    await tick();
    expect(calls.logout).toBe(1);
    expect(actor.getSnapshot().value).toBe("ended");
    expect(actor.getSnapshot().output?.reason).toBe("logout");
  });

  it("releases an avatar that arrives after the realm step timed out", async () => {
    const { actor, checker, realm, calls, clock } = harness({ realmMs: 100 });
    checker.resolve("alice");
    await tick();
    clock.increment(101);
    expect(actor.getSnapshot().matches("abandoned")).toBe(true);
    expect(actor.getSnapshot().context.failure).toEqual({ step: "realm", timedOut: true });
    realm.resolve({ grant: 1 });
    await tick();
    await tick();
    expect(calls.logout).toBe(1);
    expect(actor.getSnapshot().value).toBe("ended");
  });

  it("gives up on a realm that never answers after the abandon limit", async () => {
    const { actor, checker, clock, calls } = harness({ realmMs: 100, abandonMs: 1000 });
    checker.resolve("alice");
    await tick();
    clock.increment(101);
    clock.increment(1001);
    expect(actor.getSnapshot().value).toBe("ended");
    expect(calls.logout).toBe(0);
  });

  it("ends a logout during checking without ever asking the realm", async () => {
    const { actor, checker, calls } = harness();
    actor.send({ type: "LOGOUT" });
    checker.resolve("alice");
    await tick();
    expect(actor.getSnapshot().value).toBe("ended");
    expect(calls.realm).toBe(0);
    expect(calls.logout).toBe(0);
  });

  async function active(timeouts: Record<string, number> = {}) {
    const h = harness(timeouts);
    h.checker.resolve("alice");
    await tick();
    h.realm.resolve({ grant: 1 });
    await tick();
    expect(h.actor.getSnapshot().matches("active")).toBe(true);
    return h;
  }

  it("logs out exactly once on a double logout", async () => {
    const { actor, calls } = await active();
    actor.send({ type: "LOGOUT" });
    actor.send({ type: "LOGOUT" });
    await tick();
    expect(calls.logout).toBe(1);
    expect(actor.getSnapshot().output?.reason).toBe("logout");
  });

  it("times out a session with no activity, with reason timeout", async () => {
    const { actor, clock, calls } = await active({ sessionMs: 1000 });
    clock.increment(999);
    expect(actor.getSnapshot().matches("active")).toBe(true);
    clock.increment(2);
    await tick();
    expect(actor.getSnapshot().value).toBe("ended");
    expect(actor.getSnapshot().output?.reason).toBe("timeout");
    expect(calls.logout).toBe(1);
  });

  it("postpones the timeout on every activity", async () => {
    const { actor, clock } = await active({ sessionMs: 1000 });
    for (let i = 0; i < 5; i++) {
      clock.increment(900);
      actor.send({ type: "ACTIVITY" });
    }
    expect(actor.getSnapshot().matches("active")).toBe(true);
    clock.increment(1001);
    await tick();
    expect(actor.getSnapshot().output?.reason).toBe("timeout");
  });

  it("moves the timeout to HOLD's forMs from now, sooner or later than a window, until the next activity", async () => {
    const { actor, clock } = await active({ sessionMs: 1000 });
    clock.increment(900);
    actor.send({ type: "HOLD", forMs: 300 });
    clock.increment(299);
    expect(actor.getSnapshot().matches("active")).toBe(true);
    // Activity ends the hold: a whole window again.
    actor.send({ type: "ACTIVITY" });
    clock.increment(999);
    expect(actor.getSnapshot().matches("active")).toBe(true);
    actor.send({ type: "HOLD", forMs: 50 });
    clock.increment(51);
    await tick();
    expect(actor.getSnapshot().output?.reason).toBe("timeout");
  });

  it("never times out when sessionMs is 0", async () => {
    const { actor, clock } = await active({ sessionMs: 0 });
    clock.increment(10_000_000);
    expect(actor.getSnapshot().matches("active")).toBe(true);
  });

  it("ends with the reason of the event that ended it", async () => {
    for (const [type, reason] of [
      ["SHUTDOWN", "shutdown"],
      ["REVOKE", "revoked"],
      ["AVATAR_FAILED", "avatar-failed"],
    ] as const) {
      const { actor, calls } = await active();
      actor.send({ type });
      await tick();
      expect(actor.getSnapshot().output?.reason).toBe(reason);
      expect(calls.logout).toBe(1);
    }
  });

  /** A saga whose checker and realm answer at once and whose avatar's logout never finishes, started and active. */
  async function activeWithHangingLogout(clock: SimulatedClock, timeouts: Record<string, number>) {
    const machine = loginSagaMachine.provide({
      actions: {
        checkCredentials: ({ self }) => queueMicrotask(() => self.send({ type: "CHECKED", avatarId: "alice" })),
        requestAvatar: ({ self }) => queueMicrotask(() => self.send({ type: "GRANTED", grant: {} })),
        logoutAvatar: () => undefined,
      },
    });
    const actor = run(machine, { clock, input: { credentials: null, mind: null, interfaces: ["i"], timeouts } });
    actor.start();
    await tick();
    await tick();
    return actor;
  }

  it("ends even when the realm's logout hangs, after the logout limit", async () => {
    const clock = new SimulatedClock();
    const actor = await activeWithHangingLogout(clock, { logoutMs: 50 });
    actor.send({ type: "LOGOUT" });
    clock.increment(51);
    expect(actor.getSnapshot().value).toBe("ended");
    expect(actor.getSnapshot().output?.logoutError).toBe("logout timed out");
  });

  it("gives a timed-out session's hanging logout timeoutLogoutMs, and a logout asked for the full logoutMs", async () => {
    const clock = new SimulatedClock();
    const start = () => activeWithHangingLogout(clock, { logoutMs: 1000, timeoutLogoutMs: 100, sessionMs: 500 });
    const timedOut = await start();
    clock.increment(501);
    expect(timedOut.getSnapshot().value).toBe("loggingOut");
    clock.increment(101);
    expect(timedOut.getSnapshot().output).toMatchObject({ reason: "timeout", logoutError: "logout timed out" });

    const loggedOut = await start();
    loggedOut.send({ type: "LOGOUT" });
    clock.increment(101);
    expect(loggedOut.getSnapshot().value).toBe("loggingOut");
    clock.increment(900);
    expect(loggedOut.getSnapshot().output).toMatchObject({ reason: "logout", logoutError: "logout timed out" });
  });
});
