/** The session supervisor alone: effects recorded, time by xstate's SimulatedClock. */
import { describe, expect, it } from "vitest";
import { createActor, SimulatedClock } from "xstate";
import { sessionSupervisorMachine, type RestartPolicy } from "../../machines/session-supervisor.ts";

const policy: RestartPolicy = { maxRestarts: 2, periodMs: 1000, backoffMs: 100, maxBackoffMs: 300 };

function start(options: { started?: boolean; policy?: Partial<RestartPolicy>; startFails?: boolean } = {}) {
  const clock = new SimulatedClock();
  const effects: string[] = [];
  const machine = sessionSupervisorMachine.provide({
    actions: {
      startAvatar: ({ self }) => {
        effects.push("start");
        // The realm answers at once; a failing one reports START_FAILED.
        queueMicrotask(() => self.send(options.startFails ? { type: "START_FAILED", error: "no" } : { type: "STARTED" }));
      },
      releaseAvatar: () => void effects.push("release"),
      giveUp: () => void effects.push("give-up"),
    },
  });
  const actor = createActor(machine, {
    clock,
    input: { started: options.started ?? true, policy: { ...policy, ...options.policy } },
  }).start();
  const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
  const advance = async (ms: number) => {
    clock.increment(ms);
    await settle();
  };
  return { actor, clock, effects, settle, advance, state: () => actor.getSnapshot().value };
}

describe("sessionSupervisorMachine", () => {
  it("should supervise a granted avatar without starting it and without any pending timer", () => {
    const { state, effects, clock } = start();
    expect(state()).toBe("running");
    expect(effects).toEqual([]);
    expect((clock as unknown as { timeouts: Map<unknown, unknown> }).timeouts.size).toBe(0);
  });

  it("should start the avatar when supervision begins without one", async () => {
    const { state, effects, settle } = start({ started: false });
    expect(state()).toBe("starting");
    await settle();
    expect(state()).toBe("running");
    expect(effects).toEqual(["start"]);
  });

  it("should release a crashed avatar and restart it after the backoff", async () => {
    const { actor, state, effects, advance } = start();
    actor.send({ type: "CRASHED", error: new Error("boom") });
    expect(state()).toBe("backingOff");
    expect(effects).toEqual(["release"]);
    await advance(99);
    expect(state()).toBe("backingOff");
    await advance(1);
    expect(effects).toEqual(["release", "start"]);
    expect(state()).toBe("running");
    expect(actor.getSnapshot().context.restarts).toBe(1);
  });

  it("should double the backoff for each restart in the window, up to maxBackoffMs", async () => {
    const { actor, state, advance } = start({ policy: { maxRestarts: 5, backoffMs: 100, maxBackoffMs: 300, periodMs: 10_000 } });
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      actor.send({ type: "CRASHED", error: i });
      let waited = 0;
      while (state() === "backingOff") {
        await advance(10);
        waited += 10;
      }
      waits.push(waited);
    }
    expect(waits).toEqual([100, 200, 300, 300]);
  });

  it("should give up on crash number N+1 within T and end with outcome gave-up", async () => {
    const { actor, state, effects, advance } = start();
    actor.send({ type: "CRASHED", error: 1 });
    await advance(100);
    actor.send({ type: "CRASHED", error: 2 });
    await advance(200);
    expect(state()).toBe("running");
    actor.send({ type: "CRASHED", error: 3 });
    expect(state()).toBe("failed");
    expect(effects).toEqual(["release", "start", "release", "start", "release", "give-up"]);
    expect(actor.getSnapshot().status).toBe("done");
    expect(actor.getSnapshot().output).toEqual({ outcome: "gave-up", restarts: 2, lastError: 3 });
  });

  it("should not count restarts older than the period", async () => {
    const { actor, state, advance } = start();
    actor.send({ type: "CRASHED", error: 1 });
    await advance(100);
    actor.send({ type: "CRASHED", error: 2 });
    await advance(200);
    // Both restarts leave the 1000 ms window...
    await advance(1000);
    expect(actor.getSnapshot().context.recent).toBe(0);
    // ...so two more crashes are restarted again rather than giving up.
    actor.send({ type: "CRASHED", error: 3 });
    await advance(100);
    actor.send({ type: "CRASHED", error: 4 });
    await advance(200);
    expect(state()).toBe("running");
    expect(actor.getSnapshot().context.restarts).toBe(4);
  });

  it("should slide the window: only the restarts of the last T ms count", async () => {
    const { actor, state, advance } = start();
    actor.send({ type: "CRASHED", error: 1 }); // restart at t=0
    await advance(600);
    actor.send({ type: "CRASHED", error: 2 }); // restart at t=600
    await advance(500); // t=1100: the first restart is forgotten, the second is not
    expect(actor.getSnapshot().context.recent).toBe(1);
    actor.send({ type: "CRASHED", error: 3 });
    expect(state()).toBe("backingOff");
    await advance(200);
    actor.send({ type: "CRASHED", error: 4 });
    expect(state()).toBe("failed");
  });

  it("should count a realm that refuses the restart like a crash, and give up when it keeps refusing", async () => {
    const { actor, state, effects, advance } = start({ startFails: true });
    actor.send({ type: "CRASHED", error: "first" });
    await advance(100);
    await advance(200);
    expect(state()).toBe("failed");
    expect(effects).toEqual(["release", "start", "start", "give-up"]);
    expect(actor.getSnapshot().context.lastError).toBe("no");
  });

  it("should give up at the first crash when maxRestarts is 0", () => {
    const { actor, state, effects } = start({ policy: { maxRestarts: 0 } });
    actor.send({ type: "CRASHED", error: 1 });
    expect(state()).toBe("failed");
    expect(effects).toEqual(["release", "give-up"]);
  });

  it("should stop from any state without giving up, cancelling its timers", async () => {
    const { actor, effects, clock, advance } = start();
    actor.send({ type: "CRASHED", error: 1 });
    actor.send({ type: "STOP" });
    expect(actor.getSnapshot().status).toBe("done");
    expect(actor.getSnapshot().output).toMatchObject({ outcome: "stopped" });
    await advance(5000);
    expect(effects).toEqual(["release"]);
    void clock;
  });
});
