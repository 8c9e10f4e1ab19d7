/** LeanActor beyond the saga's own behaviours (those run under both runners in login-saga.test.ts). */
import { describe, expect, it } from "vitest";
import { assign, emit, raise, setup, SimulatedClock } from "xstate";
import { UnsupportedMachine } from "../../actors/flat-machine.ts";
import { LeanActor } from "../../actors/lean-actor.ts";

const counter = setup({
  types: { context: {} as { n: number }, events: {} as { type: "inc" } | { type: "boom" } | { type: "stop" } },
  actions: {
    fail: () => {
      throw new Error("action failed");
    },
  },
}).createMachine({
  context: { n: 0 },
  initial: "counting",
  states: {
    counting: {
      after: { 1000: "expired" },
      on: {
        inc: { actions: assign({ n: ({ context }) => context.n + 1 }) },
        boom: { actions: "fail" },
        stop: "done",
      },
    },
    expired: { type: "final" },
    done: { type: "final" },
  },
});

describe("LeanActor", () => {
  it("processes events sent before start once it starts, in order", () => {
    const actor = new LeanActor(counter, { input: undefined });
    actor.send({ type: "inc" });
    actor.send({ type: "inc" });
    actor.start();
    expect(actor.getSnapshot().context.n).toBe(2);
  });

  it("fires an `after` timer on its clock and clears the others once done", () => {
    const clock = new SimulatedClock();
    const actor = new LeanActor(counter, { input: undefined, clock });
    actor.start();
    clock.increment(999);
    expect(actor.getSnapshot().value).toBe("counting");
    clock.increment(1);
    expect(actor.getSnapshot().value).toBe("expired");
    expect(actor.getSnapshot().status).toBe("done");
  });

  it("clears pending timers when the machine reaches a final state", () => {
    let live = 0;
    const clock = {
      setTimeout: (fn: () => void, ms: number) => (live++, setTimeout(fn, ms)),
      clearTimeout: (id: unknown) => (live--, clearTimeout(id as NodeJS.Timeout)),
    };
    const actor = new LeanActor(counter, { input: undefined, clock });
    actor.start();
    expect(live).toBe(1);
    actor.send({ type: "stop" });
    expect(live).toBe(0);
    actor.send({ type: "inc" });
    expect(actor.getSnapshot().context.n).toBe(0);
  });

  it("tells observers each snapshot, then completes", () => {
    const actor = new LeanActor(counter, { input: undefined });
    const seen: string[] = [];
    actor.subscribe({ next: (s) => seen.push(`${String(s.value)}:${s.context.n}`), complete: () => seen.push("complete") });
    actor.start();
    actor.send({ type: "inc" });
    actor.send({ type: "stop" });
    expect(seen).toEqual(["counting:0", "counting:1", "done:1", "complete"]);
  });

  it("fails with status error and tells error observers when an action throws", () => {
    const actor = new LeanActor(counter, { input: undefined });
    const errors: unknown[] = [];
    actor.subscribe({ error: (e) => errors.push(e) });
    actor.start();
    actor.send({ type: "boom" });
    expect((errors[0] as Error).message).toBe("action failed");
    expect(actor.getSnapshot().status).toBe("error");
    actor.send({ type: "inc" });
    expect(actor.getSnapshot().context.n).toBe(0);
  });

  it("refuses, when made, a machine it would not run exactly as xstate does", () => {
    const emitting = setup({}).createMachine({ id: "emitting", initial: "a", states: { a: { entry: emit({ type: "hello" }) } } });
    expect(() => new LeanActor(emitting, { input: undefined })).toThrow(UnsupportedMachine);
    expect(() => new LeanActor(emitting, { input: undefined })).toThrow(/"emitting": it does not run xstate\.emit/);
    const nested = setup({}).createMachine({ id: "nested", initial: "a", states: { a: { initial: "b", states: { b: {} } } } });
    expect(() => new LeanActor(nested, { input: undefined })).toThrow(/state a is compound/);
    const eventless = setup({}).createMachine({ id: "eventless", initial: "a", states: { a: { always: "b" }, b: {} } });
    expect(() => new LeanActor(eventless, { input: undefined })).toThrow(/always/);
    const wildcard = setup({}).createMachine({ id: "wildcard", initial: "a", states: { a: { on: { "*": "b" } }, b: {} } });
    expect(() => new LeanActor(wildcard, { input: undefined })).toThrow(/wildcard/);
    const rootEvents = setup({}).createMachine({ id: "root", initial: "a", on: { x: ".b" }, states: { a: {}, b: {} } });
    expect(() => new LeanActor(rootEvents, { input: undefined })).toThrow(/transitions on the root/);
  });

  it("gives a machine without `context` an empty object, as xstate does", () => {
    const bare = setup({}).createMachine({ id: "bare", initial: "a", states: { a: {} } });
    const actor = new LeanActor(bare, { input: undefined });
    actor.start();
    expect(actor.getSnapshot().context).toEqual({});
  });

  it("has an error snapshot, not none, when its start throws, and does not start again", () => {
    let starts = 0;
    const failing = setup({ types: { context: {} as { n: number } } }).createMachine({
      id: "failing",
      context: () => {
        starts++;
        throw new Error("no context");
      },
      initial: "a",
      states: { a: {} },
    });
    const actor = new LeanActor(failing, { input: undefined });
    actor.subscribe({ error: () => undefined });
    actor.start();
    expect(actor.getSnapshot()).toMatchObject({ status: "error", value: "a" });
    actor.start();
    expect(starts).toBe(1);
  });

  it("runs a raise without delay within the step", () => {
    const raising = setup({ types: { context: {} as { n: number } } }).createMachine({
      context: { n: 0 },
      initial: "a",
      states: { a: { entry: raise({ type: "go" }), on: { go: "b" } }, b: {} },
    });
    const actor = new LeanActor(raising, { input: undefined });
    actor.start();
    expect(actor.getSnapshot().value).toBe("b");
  });
});

describe("LeanActor with an observer that throws", () => {
  it("keeps processing events, and reports the observer's error on its own turn", async () => {
    const actor = new LeanActor(counter, { input: undefined });
    let calls = 0;
    actor.subscribe({
      next: () => {
        calls++;
        if (calls === 2) throw new Error("observer failed");
      },
    });
    const reported = new Promise<unknown>((resolve) => process.once("uncaughtException", resolve));
    actor.start();
    actor.send({ type: "inc" });
    actor.send({ type: "inc" });
    expect(actor.getSnapshot().context.n).toBe(2);
    expect(((await reported) as Error).message).toBe("observer failed");
  });
});
