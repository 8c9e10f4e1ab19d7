/**
 * LeanActor reads a machine's definition itself (flat-machine.ts) rather than calling xstate, so it
 * is held to xstate's own `Actor` here: the same machine, the same random events and clock steps,
 * and after every one the same state, status, context and output, and the same provided actions
 * run with the same arguments, in the same order. Every machine the runtime runs in a LeanActor is
 * here, plus one that uses every feature the runner accepts.
 */
import { describe, expect, it } from "vitest";
import { assign, cancel, createActor, raise, setup, SimulatedClock, type AnyStateMachine } from "xstate";
import { LeanActor, type RunningMachine } from "../../actors/lean-actor.ts";
import { challengeMachine } from "../../machines/challenge.ts";
import { loginSagaMachine } from "../../machines/login-saga.ts";

/** A small seeded PRNG (mulberry32): the same sequences on every run, a failing seed can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Everything compared: what a caller can see of the run so far. */
interface Observed {
  readonly value: unknown;
  readonly status: string;
  readonly context: unknown;
  readonly output: unknown;
  readonly actions: readonly unknown[];
}

interface Case {
  readonly name: string;
  /** The machine with its provided actions recording into `log` (name, event type, context, params). */
  readonly machine: (log: unknown[]) => AnyStateMachine;
  readonly input: (next: () => number) => unknown;
  /** Events with weights: the ones that end the machine are rarer, so runs reach its later states. */
  readonly events: ReadonlyArray<readonly [number, (next: () => number) => { type: string }]>;
}

const recording = (log: unknown[], names: readonly string[]) =>
  Object.fromEntries(
    names.map((name) => [
      name,
      ({ context, event }: { context: unknown; event: { type: string } }, params: unknown) => void log.push({ name, event: event.type, context, params }),
    ]),
  );

const pick = <T,>(next: () => number, values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;

function pickWeighted<T>(next: () => number, weighted: ReadonlyArray<readonly [number, T]>): T {
  let left = next() * weighted.reduce((sum, [weight]) => sum + weight, 0);
  for (const [weight, value] of weighted) if ((left -= weight) < 0) return value;
  return weighted[weighted.length - 1]![1];
}

/** One machine using everything LeanActor accepts: guards with params, raise (with and without delay), cancel, exit actions, reenter. */
const kitchenSink = setup({
  types: {
    context: {} as { n: number; seen: string[]; limit: number },
    input: {} as { limit: number },
    events: {} as { type: "tick" } | { type: "bump"; by: number } | { type: "again" } | { type: "stay" } | { type: "hush" } | { type: "finish" } | { type: "echo" } | { type: "ring" } | { type: "kick" },
  },
  actions: {
    note: () => {},
    onExit: () => {},
    add: assign({ n: ({ context }, params: { by: number }) => context.n + params.by }),
    remember: assign(({ context, event }) => ({ seen: [...context.seen, event.type] })),
  },
  guards: {
    below: ({ context }, params: { max: number }) => context.n < params.max,
  },
  delays: {
    later: ({ context }) => 50 + context.n,
  },
}).createMachine({
  id: "sink",
  context: ({ input }) => ({ n: 0, seen: [], limit: input.limit }),
  initial: "idle",
  output: ({ context, event }) => ({ n: context.n, seen: context.seen.length, final: (event as { output?: unknown }).output }),
  states: {
    idle: {
      entry: [{ type: "note", params: { where: "idle" } }, raise({ type: "ring" }, { delay: "later", id: "bell" })],
      exit: ["onExit", cancel("bell")],
      on: {
        tick: [
          { guard: { type: "below", params: ({ context }) => ({ max: context.limit }) }, actions: [{ type: "add", params: { by: 1 } }, "remember"] },
          { target: "busy", actions: "remember" },
        ],
        bump: { actions: { type: "add", params: ({ event }) => ({ by: event.by }) } },
        again: { target: "idle", reenter: true },
        stay: { target: "idle" },
        hush: { actions: cancel("bell") },
        ring: { target: "busy", actions: "remember" },
        echo: { actions: raise({ type: "tick" }) },
        // The same id twice: xstate's scheduler lets both fire, and cancel reaches the second.
        kick: { actions: raise({ type: "ring" }, { id: "kick", delay: 40 }) },
      },
    },
    busy: {
      entry: ["note", raise({ type: "ring" }, { delay: 30 })],
      after: { 200: { target: "done", actions: "remember" } },
      on: {
        ring: { actions: ["remember", "note"] },
        again: { target: "busy", reenter: true },
        finish: "done",
        tick: "idle",
      },
    },
    done: { type: "final", entry: "note", exit: "onExit", output: ({ context }) => ({ at: context.n }) },
  },
});

const CASES: Case[] = [
  {
    name: "loginSagaMachine",
    machine: (log) => loginSagaMachine.provide({ actions: recording(log, ["checkCredentials", "requestAvatar", "logoutAvatar"]) }),
    input: (next) => ({
      credentials: { secret: "pw" },
      mind: null,
      interfaces: ["i"],
      timeouts: { checkMs: 10 + Math.floor(next() * 100), realmMs: 10 + Math.floor(next() * 100), logoutMs: 50, abandonMs: 300, sessionMs: pick(next, [0, 80, 250]) },
      source: pick(next, [undefined, "10.0.0.1"]),
    }),
    events: [
      [3, () => ({ type: "ACTIVITY" })],
      [1.5, (next) => ({ type: "HOLD", forMs: pick(next, [5, 40, 400]) })],
      [1, () => ({ type: "LOGOUT" })],
      [0.5, () => ({ type: "CANCEL" })],
      [0.5, () => ({ type: "SHUTDOWN" })],
      [1, () => ({ type: "REVOKE" })],
      [1, () => ({ type: "AVATAR_FAILED" })],
      [5, (next) => ({ type: "CHECKED", avatarId: pick(next, ["alice", null]) })],
      [0.4, () => ({ type: "CHECK_FAILED", error: "refused" })],
      [5, (next) => ({ type: "GRANTED", grant: { interface: "i", n: Math.floor(next() * 10) } })],
      [0.4, () => ({ type: "REALM_FAILED", error: "gone" })],
      [2, (next) => ({ type: "LOGGED_OUT", ...(next() < 0.5 ? { error: "late" } : {}) })],
    ],
  },
  {
    name: "challengeMachine",
    machine: (log) => challengeMachine.provide({ actions: recording(log, ["issue", "verify", "answerQuery", "refuseResponse"]) }),
    input: (next) => ({ expiresInMs: 20 + Math.floor(next() * 200), maxRounds: 1 + Math.floor(next() * 3) }),
    events: [
      [4, () => ({ type: "ISSUED" })],
      [0.3, () => ({ type: "ISSUE_FAILED", error: "nope" })],
      [4, (next) => ({ type: "RESPONSE", response: Math.floor(next() * 5) })],
      [1, () => ({ type: "QUERY", query: "key?" })],
      [1, () => ({ type: "VERIFIED" })],
      [0.5, (next) => ({ type: "REFUSED", ...(next() < 0.5 ? { error: "bad" } : {}) })],
      [3, () => ({ type: "CONTINUE" })],
      [0.5, () => ({ type: "CANCEL" })],
    ],
  },
  {
    name: "a machine using every feature LeanActor accepts",
    machine: (log) => kitchenSink.provide({ actions: recording(log, ["note", "onExit"]) }),
    input: (next) => ({ limit: 1 + Math.floor(next() * 4) }),
    events: [
      [3, () => ({ type: "tick" })],
      [2, (next) => ({ type: "bump", by: Math.floor(next() * 3) })],
      [2, () => ({ type: "again" })],
      [2, () => ({ type: "stay" })],
      [1, () => ({ type: "hush" })],
      [0.3, () => ({ type: "finish" })],
      [1, () => ({ type: "echo" })],
      [2, () => ({ type: "ring" })],
      [1, () => ({ type: "kick" })],
    ],
  },
];

function observe(actor: RunningMachine<AnyStateMachine>, log: readonly unknown[]): Observed {
  const snapshot = actor.getSnapshot();
  return { value: snapshot.value, status: snapshot.status, context: snapshot.context, output: snapshot.output, actions: [...log] };
}

const SEQUENCES = 400;
const STEPS = 25;

describe.each(CASES)("LeanActor against xstate's Actor: $name", ({ machine, input, events }) => {
  it(`agrees after every event and clock step, over ${SEQUENCES} random sequences of ${STEPS}`, () => {
    let compared = 0;
    const visited = new Set<unknown>();
    for (let seed = 1; seed <= SEQUENCES; seed++) {
      const next = random(seed);
      const theInput = input(next);
      const xstateLog: unknown[] = [];
      const leanLog: unknown[] = [];
      const xstateClock = new SimulatedClock();
      const leanClock = new SimulatedClock();
      const reference = createActor(machine(xstateLog), { input: theInput, clock: xstateClock });
      const lean = new LeanActor(machine(leanLog), { input: theInput, clock: leanClock });
      reference.start();
      lean.start();
      const where = (step: number) => `seed ${seed}, step ${step}`;
      expect(observe(lean, leanLog), where(0)).toEqual(observe(reference, xstateLog));
      for (let step = 1; step <= STEPS; step++) {
        if (next() < 0.3) {
          const ms = Math.floor(next() * 150);
          xstateClock.increment(ms);
          leanClock.increment(ms);
        } else {
          const event = pickWeighted(next, events)(next);
          reference.send(event as never);
          lean.send(event as never);
        }
        expect(observe(lean, leanLog), where(step)).toEqual(observe(reference, xstateLog));
        compared++;
        visited.add(reference.getSnapshot().value);
        // Both are over (compared above): xstate would warn about every further event.
        if (reference.getSnapshot().status !== "active") break;
      }
    }
    // The sequences reached every state of the machine, and did not all end at once.
    expect([...visited].sort()).toEqual(Object.keys(machine([]).root.states).sort());
    expect(compared).toBeGreaterThan(SEQUENCES * 5);
  });
});
