/**
 * A flat xstate machine read once into tables: its states, each state's transitions by event type,
 * and its actions resolved against the machine's implementations. `LeanActor` interprets these.
 *
 * Why: a login saga takes five steps, and xstate's `transition()` spends ~5 µs on each computing
 * what a flat machine's definition already says (transition domains, entry and exit sets over
 * Sets of state nodes, a cloned snapshot per action). Read once per machine, a step is a Map
 * lookup and the machine's own actions. Only the subset whose meaning is plain is read; anything
 * else (nested or parallel states, `always`, `invoke`, wildcard events, built-in guards, actions
 * other than assign, raise and cancel) is refused here, when the actor is made, never run wrong.
 * test/actors/lean-actor-vs-xstate.test.ts holds the runner to xstate's own `Actor` on every machine
 * the runtime runs this way.
 */
import type { AnyStateMachine } from "xstate";

export interface MachineEvent {
  readonly type: string;
}

/** What xstate hands an action or a guard: the context and event at that point of the step. */
export interface ActionArgs {
  readonly context: unknown;
  readonly event: MachineEvent;
  readonly self: unknown;
}

type Expr = (args: { context: unknown; event: MachineEvent }) => unknown;
type Params = unknown;

/** One action, resolved: an assignment, a (delayed) raise, a cancel, or a provided function. */
export type FlatAction =
  | { readonly kind: "assign"; readonly assignment: unknown; readonly params: Params }
  | { readonly kind: "raise"; readonly event: unknown; readonly delay: unknown; readonly id: string | undefined; readonly params: Params }
  | { readonly kind: "cancel"; readonly sendId: string }
  | { readonly kind: "exec"; readonly fn: ((args: ActionArgs, params: unknown) => void) | undefined; readonly params: Params };

export interface FlatTransition {
  readonly guard: ((args: { context: unknown; event: MachineEvent }, params: unknown) => boolean) | undefined;
  readonly guardParams: Params;
  /** Undefined: a targetless transition (actions only, nothing exited or entered). */
  readonly target: FlatState | undefined;
  readonly reenter: boolean;
  readonly actions: readonly FlatAction[];
}

export interface FlatState {
  readonly key: string;
  /** xstate's state node id (`machine.key`), for the done event's type. */
  readonly id: string;
  readonly final: boolean;
  /** A final state's own `output` config, for the done event. */
  readonly output: unknown;
  readonly entry: readonly FlatAction[];
  readonly exit: readonly FlatAction[];
  readonly on: ReadonlyMap<string, readonly FlatTransition[]>;
}

export interface FlatMachine {
  readonly initial: FlatState;
  /** The machine's `context` config: a value or `({ input, self }) => context`. */
  readonly context: unknown;
  /** The machine's `output` config: a value or `({ context, event, self }) => output`. */
  readonly output: unknown;
  readonly delays: Readonly<Record<string, unknown>>;
}

/** A machine this runner cannot run exactly as xstate would. */
export class UnsupportedMachine extends Error {
  override readonly name = "UnsupportedMachine";
}

const compiled = new WeakMap<AnyStateMachine, FlatMachine>();

/** The machine's tables, read on first use and kept for as long as the machine is. */
export function flatMachine(machine: AnyStateMachine): FlatMachine {
  let flat = compiled.get(machine);
  if (flat === undefined) {
    flat = compile(machine);
    compiled.set(machine, flat);
  }
  return flat;
}

interface StateNodeLike {
  readonly key: string;
  readonly id: string;
  readonly type: string;
  readonly states: Record<string, StateNodeLike>;
  readonly entry: readonly unknown[];
  readonly exit: readonly unknown[];
  readonly invoke: readonly unknown[];
  readonly always?: readonly unknown[] | undefined;
  readonly output?: unknown;
  readonly transitions: Map<string, ReadonlyArray<{ target?: readonly StateNodeLike[] | undefined; actions: readonly unknown[]; reenter: boolean; guard?: unknown }>>;
  readonly initial: { readonly target: readonly StateNodeLike[] };
  readonly config: { readonly context?: unknown; readonly output?: unknown };
}

function compile(machine: AnyStateMachine): FlatMachine {
  const name = machine.id;
  const refuse = (what: string): never => {
    throw new UnsupportedMachine(`LeanActor runs flat machines only; machine ${JSON.stringify(name)}: ${what} (use xstate's createActor)`);
  };
  const root = machine.root as unknown as StateNodeLike;
  const implementations = machine.implementations as {
    actions: Record<string, unknown>;
    guards: Record<string, unknown>;
    delays: Record<string, unknown>;
  };
  if (root.type !== "compound") refuse("the root must have child states");
  // Reading `transitions` first: xstate adds the `after` timers' raise/cancel to entry and exit then.
  if (root.transitions.size > 0) refuse("transitions on the root");
  if (root.entry.length > 0 || root.exit.length > 0) refuse("entry or exit actions on the root");
  if (root.invoke.length > 0 || (root.always?.length ?? 0) > 0) refuse("invoke or always on the root");

  const action = (ref: unknown): FlatAction => {
    const { resolved, params } = implementation(implementations.actions, ref);
    if (resolved === undefined) return { kind: "exec", fn: undefined, params };
    if (typeof resolved !== "function") return refuse(`action ${String(ref)} is not a function`);
    const builtin = resolved as unknown as Record<string, unknown> & { type?: unknown };
    if (!("resolve" in builtin)) return { kind: "exec", fn: resolved as (args: ActionArgs, params: unknown) => void, params };
    switch (builtin.type) {
      case "xstate.assign":
        return { kind: "assign", assignment: builtin["assignment"], params };
      case "xstate.raise":
        if (typeof builtin["event"] === "string") refuse("raise with a string event");
        return { kind: "raise", event: builtin["event"], delay: builtin["delay"], id: builtin["id"] as string | undefined, params };
      case "xstate.cancel":
        if (typeof builtin["sendId"] !== "string") refuse("cancel with a computed id");
        return { kind: "cancel", sendId: builtin["sendId"] as string };
      default:
        return refuse(`it does not run ${String(builtin.type)}`);
    }
  };
  const guard = (ref: unknown): Pick<FlatTransition, "guard" | "guardParams"> => {
    if (ref === undefined) return { guard: undefined, guardParams: undefined };
    const { resolved, params } = implementation(implementations.guards, ref);
    if (typeof resolved !== "function") return refuse(`guard ${JSON.stringify(ref)} is not implemented`);
    if ("check" in resolved) refuse("built-in guards (and, or, not, stateIn)");
    return { guard: resolved as FlatTransition["guard"], guardParams: params };
  };

  const nodes = Object.values(root.states);
  const states = new Map<string, { node: StateNodeLike; state: FlatState & { on: Map<string, FlatTransition[]> } }>();
  for (const node of nodes) {
    if (node.type !== "atomic" && node.type !== "final") refuse(`state ${node.key} is ${node.type}`);
    if (node.invoke.length > 0) refuse(`state ${node.key} invokes`);
    if ((node.always?.length ?? 0) > 0) refuse(`state ${node.key} has always transitions`);
    void node.transitions; // makes xstate add its `after` raise/cancel to entry and exit
    states.set(node.key, {
      node,
      state: {
        key: node.key,
        id: node.id,
        final: node.type === "final",
        output: node.output,
        entry: node.entry.map(action),
        exit: node.exit.map(action),
        on: new Map(),
      },
    });
  }
  for (const { node, state } of states.values()) {
    for (const [eventType, definitions] of node.transitions) {
      if (eventType.includes("*")) refuse(`wildcard event ${eventType} in state ${node.key}`);
      state.on.set(
        eventType,
        definitions.map((definition) => {
          const targets = definition.target ?? [];
          if (targets.length > 1) refuse(`a transition of ${node.key} has several targets`);
          const targetNode = targets[0];
          const target = targetNode === undefined ? undefined : states.get(targetNode.key);
          if (targetNode !== undefined && (target === undefined || target.node !== targetNode)) refuse(`a transition of ${node.key} leaves the root's children`);
          return { ...guard(definition.guard), target: target?.state, reenter: definition.reenter, actions: definition.actions.map(action) };
        }),
      );
    }
  }
  const initialNode = root.initial.target[0];
  const initial = initialNode === undefined ? undefined : states.get(initialNode.key);
  if (initial === undefined) return refuse("no initial state");
  return { initial: initial.state, context: root.config.context, output: root.config.output, delays: implementations.delays };
}

/**
 * What an action or guard reference names, as xstate resolves it: an inline function as it is, a
 * name (`"x"`) or an object (`{ type: "x", params }`) through the machine's implementations.
 */
function implementation(table: Record<string, unknown>, ref: unknown): { resolved: unknown; params: Params } {
  if (typeof ref === "function") return { resolved: ref, params: undefined };
  if (typeof ref === "string") return { resolved: table[ref], params: undefined };
  const { type, params } = ref as { type: string; params?: unknown };
  return { resolved: table[type], params };
}

/** An action's params: a value, or `({ context, event }) => value` as xstate allows. */
export function resolveParams(params: Params, context: unknown, event: MachineEvent): unknown {
  return typeof params === "function" ? (params as Expr)({ context, event }) : params;
}
