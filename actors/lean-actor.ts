/**
 * Runs a flat xstate machine (states side by side under the root, as every machine run this way
 * here is) from its definition read once into tables (flat-machine.ts), with a mailbox and timers
 * of its own: the part of xstate's `Actor` that a login saga uses, at a fraction of its cost.
 */
import type { AnyStateMachine, ContextFrom, EventFromLogic, InputFrom, Observer, OutputFrom, StateValueFrom, Subscription } from "xstate";
import { flatMachine, resolveParams, type FlatAction, type FlatMachine, type FlatState, type FlatTransition, type MachineEvent, type ActionArgs } from "./flat-machine.ts";

/** What the runtime reads of a snapshot: xstate's `MachineSnapshot` and `LeanActor`'s both provide it. */
export interface MachineView<TMachine extends AnyStateMachine> {
  readonly value: StateValueFrom<TMachine>;
  readonly status: "active" | "done" | "error" | "stopped";
  readonly context: ContextFrom<TMachine>;
  readonly output: OutputFrom<TMachine> | undefined;
  readonly error?: unknown;
  matches(value: StateValueFrom<TMachine>): boolean;
}

/** What the runtime needs from a running machine: xstate's `Actor` and `LeanActor` both provide it. */
export interface RunningMachine<TMachine extends AnyStateMachine> {
  start(): void;
  send(event: EventFromLogic<TMachine>): void;
  getSnapshot(): MachineView<TMachine>;
  subscribe(observer: Observer<MachineView<TMachine>>): Subscription;
}

export interface LeanActorOptions<TMachine extends AnyStateMachine> {
  readonly input: InputFrom<TMachine>;
  /** Timers (xstate's `SimulatedClock` in tests); the real ones by default. */
  readonly clock?: Clock;
}

/** Timers as xstate's `SimulatedClock` provides them. */
export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/** A delayed event waiting on the clock, under the id `cancel` knows it by. */
interface PendingTimer {
  readonly id: string;
  readonly handle: unknown;
}

/** A snapshot: one small object per step (xstate's carries the state nodes, tags, children…). */
class LeanSnapshot {
  constructor(
    readonly value: string,
    readonly status: "active" | "done" | "error",
    readonly context: unknown,
    readonly output: unknown,
    readonly error?: unknown,
  ) {}

  matches(value: unknown): boolean {
    return this.value === value;
  }
}

/** An effect a step decided on, run once the step's snapshot is in place (as xstate does). */
type Effect =
  | { readonly run: "exec"; readonly fn: (args: ActionArgs, params: unknown) => void; readonly args: ActionArgs; readonly params: unknown }
  | { readonly run: "schedule"; readonly event: MachineEvent; readonly delay: number; readonly id: string | undefined }
  | { readonly run: "cancel"; readonly id: string };

const realClock: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};

/**
 * Why not `createActor`: per login, xstate's `Actor` builds an actor system, a scheduler keyed by
 * random ids, an inspection channel and a mailbox object, and its `transition()` recomputes entry
 * and exit sets on every step; measured, a saga's life costs several times what it does here (docs/performance.md).
 * The machine is the same definition; what is left out is what these machines do not use, and
 * a machine that uses it is refused when the actor is made (`UnsupportedMachine`).
 *
 * One difference, kept on purpose: a step's provided actions run once its snapshot is computed
 * and in place (xstate runs them as it computes), so `self.getSnapshot()` inside one sees the
 * step's result, and when one throws, the actor fails in the step's new state rather than the old.
 *
 * Semantics kept: events are processed one at a time in arrival order, events sent by an action
 * wait for the current step; a raise without delay is taken within the step; exit actions, then
 * the transition's, then entry actions; a self-transition exits and re-enters only with
 * `reenter: true`; `after` timers are started and cancelled as the machine says; once the machine
 * is done (or fails) its timers are cleared and later events are ignored.
 */
export class LeanActor<TMachine extends AnyStateMachine> implements RunningMachine<TMachine> {
  readonly #machine: FlatMachine;
  readonly #clock: Clock;
  // Every live session holds one of these for its whole life, so memory counts: the mailbox
  // exists only while events arrive during a step, timers (at most a few) sit in a small array
  // rather than a Map, and observers in an array of exactly their number.
  #mailbox: EventFromLogic<TMachine>[] | undefined;
  #timers: PendingTimer[] = [];
  #observers: Observer<MachineView<TMachine>>[] = [];
  #state: FlatState | undefined;
  /** Events raised without delay during the step being computed (rare: made only when used). */
  #raised: MachineEvent[] | undefined;
  #snapshot: LeanSnapshot | undefined;
  #input: InputFrom<TMachine> | undefined;
  #processing = false;
  #unnamed = 0;
  #stopped = false;

  /** Throws `UnsupportedMachine` for a machine it cannot run exactly as xstate would. */
  constructor(machine: TMachine, options: LeanActorOptions<TMachine>) {
    this.#machine = flatMachine(machine);
    this.#input = options.input;
    this.#clock = options.clock ?? realClock;
  }

  /** Enters the initial state and runs its entry actions. */
  start(): this {
    if (this.#snapshot !== undefined || this.#stopped) return this;
    this.#processing = true;
    try {
      this.#step(undefined);
      this.#input = undefined;
      this.#drain();
    } finally {
      this.#processing = false;
    }
    return this;
  }

  send(event: EventFromLogic<TMachine>): void {
    if (this.#stopped) return;
    if (this.#processing || this.#snapshot === undefined) {
      (this.#mailbox ??= []).push(event);
      return;
    }
    this.#processing = true;
    try {
      this.#step(event);
      this.#drain();
    } finally {
      this.#processing = false;
    }
  }

  getSnapshot(): MachineView<TMachine> {
    if (this.#snapshot === undefined) throw new Error("LeanActor: getSnapshot() before start()");
    return this.#snapshot as unknown as MachineView<TMachine>;
  }

  subscribe(observer: Observer<MachineView<TMachine>>): Subscription {
    this.#observers = [...this.#observers, observer];
    return {
      unsubscribe: () => {
        this.#observers = this.#observers.filter((o) => o !== observer);
      },
    };
  }

  /** Processes the events that arrived while a step was running, in order. */
  #drain(): void {
    const mailbox = this.#mailbox;
    if (mailbox === undefined) return;
    for (let event = mailbox.shift(); event !== undefined && !this.#stopped; event = mailbox.shift()) this.#step(event);
    this.#mailbox = undefined;
  }

  /** One macrostep (`undefined`: the start): compute the next snapshot, run its effects, tell the observers. */
  #step(event: MachineEvent | undefined): void {
    const effects: Effect[] = [];
    try {
      const before = this.#snapshot;
      let next = event === undefined ? this.#initial(effects) : this.#microstep(event, effects);
      // Raised (undelayed) events are part of the same step, before any event from outside.
      for (let raised = this.#raised?.shift(); raised !== undefined && next.status === "active"; raised = this.#raised?.shift()) {
        next = this.#microstep(raised, effects, next);
      }
      this.#raised = undefined;
      if (next === before) {
        // No transition took the event: as xstate, the observers still hear the (same) snapshot.
        this.#notify(next, false);
        return;
      }
      this.#snapshot = next;
      for (const effect of effects) this.#run(effect);
    } catch (error) {
      this.#raised = undefined;
      this.#fail(error);
      return;
    }
    const snapshot = this.#snapshot;
    const done = snapshot.status !== "active";
    if (done) this.#stop();
    this.#notify(snapshot, done);
  }

  #notify(snapshot: LeanSnapshot, done: boolean): void {
    // An observer that throws must not wedge the actor (its mailbox would never drain again): as
    // xstate does, its error is rethrown on a turn of its own and the actor goes on.
    for (const observer of this.#observers) {
      try {
        observer.next?.(snapshot as unknown as MachineView<TMachine>);
      } catch (error) {
        rethrowLater(error);
      }
    }
    if (!done) return;
    for (const observer of this.#observers) {
      try {
        observer.complete?.();
      } catch (error) {
        rethrowLater(error);
      }
    }
  }

  #initial(effects: Effect[]): LeanSnapshot {
    const machine = this.#machine;
    const config = machine.context;
    const input = this.#input;
    // As xstate: a machine without `context` has `{}`.
    let context = typeof config === "function" ? (config as (args: unknown) => unknown)({ input, self: this }) : (config ?? {});
    const event: MachineEvent = { type: "xstate.init", input } as MachineEvent;
    context = this.#actions(machine.initial.entry, context, event, effects);
    return this.#enter(machine.initial, context, event, effects);
  }

  /** One event's transition from `snapshot`: exit, transition and entry actions (the same snapshot when none is enabled). */
  #microstep(event: MachineEvent, effects: Effect[], snapshot = this.#snapshot as LeanSnapshot): LeanSnapshot {
    const from = this.#state as FlatState;
    const chosen = select(from.on.get(event.type), snapshot.context, event);
    if (chosen === undefined) return snapshot;
    let context = snapshot.context;
    const target = chosen.target;
    if (target === undefined || (target === from && !chosen.reenter)) {
      return new LeanSnapshot(from.key, "active", this.#actions(chosen.actions, context, event, effects), undefined);
    }
    context = this.#actions(from.exit, context, event, effects);
    context = this.#actions(chosen.actions, context, event, effects);
    context = this.#actions(target.entry, context, event, effects);
    return this.#enter(target, context, event, effects);
  }

  /** The snapshot in `state` (entered, its entry actions resolved); a final one ends the machine with its output. */
  #enter(state: FlatState, context: unknown, event: MachineEvent, effects: Effect[]): LeanSnapshot {
    this.#state = state;
    if (!state.final) return new LeanSnapshot(state.key, "active", context, undefined);
    const config = this.#machine.output;
    // The final state's own `output`, resolved as xstate does, travels on the done event.
    const own = state.output;
    const doneEvent = {
      type: `xstate.done.state.${state.id}`,
      output: typeof own === "function" ? (own as (args: unknown) => unknown)({ context, event, self: this }) : own,
    };
    const output = typeof config === "function" ? (config as (args: unknown) => unknown)({ context, event: doneEvent, self: this }) : config;
    // As xstate: once done, the final state's exit actions run too.
    return new LeanSnapshot(state.key, "done", this.#actions(state.exit, context, event, effects), output);
  }

  /** Resolves `actions` in order: assignments change the context at once, the rest become effects. */
  #actions(actions: readonly FlatAction[], context: unknown, event: MachineEvent, effects: Effect[]): unknown {
    for (const action of actions) {
      switch (action.kind) {
        case "assign": {
          const params = resolveParams(action.params, context, event);
          const args = { context, event, self: this };
          const assignment = action.assignment;
          let partial: Record<string, unknown>;
          if (typeof assignment === "function") partial = (assignment as (a: unknown, p: unknown) => Record<string, unknown>)(args, params);
          else {
            partial = {};
            for (const key of Object.keys(assignment as object)) {
              const value = (assignment as Record<string, unknown>)[key];
              partial[key] = typeof value === "function" ? (value as (a: unknown, p: unknown) => unknown)(args, params) : value;
            }
          }
          context = Object.assign({}, context, partial);
          break;
        }
        case "raise": {
          const params = resolveParams(action.params, context, event);
          const args = { context, event, self: this };
          const raised = (typeof action.event === "function" ? (action.event as (a: unknown, p: unknown) => unknown)(args, params) : action.event) as MachineEvent;
          const delay = typeof action.delay === "string" ? this.#machine.delays[action.delay] : action.delay;
          const ms = typeof delay === "function" ? (delay as (a: unknown, p: unknown) => unknown)(args, params) : delay;
          if (typeof ms === "number") effects.push({ run: "schedule", event: raised, delay: ms, id: action.id });
          else (this.#raised ??= []).push(raised);
          break;
        }
        case "cancel":
          effects.push({ run: "cancel", id: action.sendId });
          break;
        case "exec":
          if (action.fn !== undefined) {
            effects.push({ run: "exec", fn: action.fn, args: { context, event, self: this }, params: resolveParams(action.params, context, event) });
          }
          break;
      }
    }
    return context;
  }

  #run(effect: Effect): void {
    switch (effect.run) {
      case "exec":
        effect.fn(effect.args, effect.params);
        return;
      case "schedule": {
        // xstate makes up an id for a delayed raise without one; so do we.
        const key = effect.id ?? `xstate.raise.${this.#unnamed++}`;
        // As xstate's scheduler: a second raise under the same id replaces the first in what
        // `cancel` can reach, but the first still fires.
        this.#timers = this.#timers.filter((t) => t.id !== key);
        const event = effect.event as EventFromLogic<TMachine>;
        const timer: PendingTimer = {
          id: key,
          handle: this.#clock.setTimeout(() => {
            this.#timers = this.#timers.filter((t) => t !== timer);
            this.send(event);
          }, effect.delay),
        };
        this.#timers = [...this.#timers, timer];
        return;
      }
      case "cancel":
        this.#cancel(effect.id);
        return;
    }
  }

  #cancel(id: string): void {
    const timer = this.#timers.find((t) => t.id === id);
    if (timer === undefined) return;
    this.#clock.clearTimeout(timer.handle);
    this.#timers = this.#timers.filter((t) => t !== timer);
  }

  #stop(): void {
    this.#stopped = true;
    this.#mailbox = undefined;
    for (const timer of this.#timers) this.#clock.clearTimeout(timer.handle);
    this.#timers = [];
  }

  #fail(error: unknown): void {
    this.#stop();
    // As xstate's snapshot of a failed actor: status "error", the error alongside.
    const last = this.#snapshot;
    // A start that failed has no snapshot yet: the error one stands in the initial state.
    this.#snapshot = new LeanSnapshot(last?.value ?? this.#machine.initial.key, "error", last?.context, undefined, error);
    const listeners = this.#observers.filter((o) => o.error !== undefined);
    // As xstate does with an actor error nobody listens for: never swallowed.
    if (listeners.length === 0) rethrowLater(error);
    for (const observer of listeners) {
      try {
        observer.error?.(error);
      } catch (observerError) {
        rethrowLater(observerError);
      }
    }
  }
}

/** The first transition for the event whose guard (if any) holds, as xstate picks it. */
function select(candidates: readonly FlatTransition[] | undefined, context: unknown, event: MachineEvent): FlatTransition | undefined {
  if (candidates === undefined) return undefined;
  for (const candidate of candidates) {
    if (candidate.guard === undefined || candidate.guard({ context, event }, resolveParams(candidate.guardParams, context, event))) return candidate;
  }
  return undefined;
}

/** Throws on a turn of its own, where it reaches `uncaughtException` instead of the caller. */
function rethrowLater(error: unknown): void {
  setTimeout(() => {
    throw error;
  });
}
