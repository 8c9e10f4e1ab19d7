/** A session's avatar supervisor: OTP-style restarts (at most N within T ms, with backoff), as a pure xstate machine. */
import { assign, raise, setup } from "xstate";

/**
 * When to restart and when to give up (Erlang/OTP's intensity and period). A restart is the
 * realm asked again for the same avatarId, mind and interfaces; crash number `maxRestarts + 1`
 * within `periodMs` gives up. The k-th restart in the window waits `backoffMs · 2^(k-1)`,
 * at most `maxBackoffMs`.
 */
export interface RestartPolicy {
  readonly maxRestarts: number;
  readonly periodMs: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

export const defaultRestartPolicy: RestartPolicy = {
  maxRestarts: 3,
  periodMs: 10_000,
  backoffMs: 100,
  maxBackoffMs: 2_000,
};

export interface SessionSupervisorInput {
  readonly policy?: Partial<RestartPolicy>;
  /** The avatar already runs (the login granted it): start supervising it rather than starting one. */
  readonly started?: boolean;
}

export interface SessionSupervisorContext {
  readonly policy: RestartPolicy;
  /** Restarts made in the last `periodMs`: each one is forgotten by a delayed `WINDOW_PASSED`. */
  recent: number;
  /** Every restart over the supervisor's life, for inspection. */
  restarts: number;
  lastError: unknown;
  /** Whether the avatar was running when supervision began (from input). */
  readonly started: boolean;
  outcome: "stopped" | "gave-up";
}

/**
 * From outside: the avatar `CRASHED`, the session wants it `STOP`ped. From the effects:
 * `STARTED` / `START_FAILED` (the realm's answer to `startAvatar`). `WINDOW_PASSED` is the
 * machine's own delayed event.
 */
export type SessionSupervisorEvent =
  | { type: "STARTED" }
  | { type: "START_FAILED"; error: unknown }
  | { type: "CRASHED"; error: unknown }
  | { type: "STOP" }
  | { type: "WINDOW_PASSED" };

export interface SessionSupervisorOutput {
  /** `gave-up`: the session must end with `avatar-failed`. */
  readonly outcome: "stopped" | "gave-up";
  readonly restarts: number;
  readonly lastError: unknown;
}

/**
 * Effects are placeholder actions supplied with `.provide()` (as in the login saga, for the same
 * cost reason): `startAvatar` asks the realm again and reports `STARTED` or `START_FAILED`;
 * `releaseAvatar` disposes of the crashed avatar; `giveUp` ends the session with
 * `avatar-failed`. A healthy avatar with no recent restart has no timer pending.
 */
export const sessionSupervisorMachine = setup({
  types: {
    context: {} as SessionSupervisorContext,
    input: {} as SessionSupervisorInput,
    events: {} as SessionSupervisorEvent,
    output: {} as SessionSupervisorOutput,
  },
  actions: {
    startAvatar: () => {},
    releaseAvatar: () => {},
    giveUp: () => {},
    recordError: assign({ lastError: ({ event }) => ("error" in event ? event.error : null) }),
    countRestart: assign({ recent: ({ context }) => context.recent + 1, restarts: ({ context }) => context.restarts + 1 }),
    forgetLater: raise({ type: "WINDOW_PASSED" }, { delay: "period" }),
    forgetOne: assign({ recent: ({ context }) => Math.max(0, context.recent - 1) }),
  },
  delays: {
    period: ({ context }) => context.policy.periodMs,
    // `recent` already counts the restart being waited for: the first one waits `backoffMs`.
    backoff: ({ context }) =>
      Math.min(context.policy.maxBackoffMs, context.policy.backoffMs * 2 ** Math.max(0, context.recent - 1)),
  },
  guards: {
    started: ({ context }) => context.started,
    exhausted: ({ context }) => context.recent >= context.policy.maxRestarts,
  },
}).createMachine({
  id: "sessionSupervisor",
  context: ({ input }) => ({
    policy: { ...defaultRestartPolicy, ...input.policy },
    recent: 0,
    restarts: 0,
    lastError: null,
    started: input.started === true,
    outcome: "stopped",
  }),
  initial: "init",
  output: ({ context }) => ({
    outcome: context.outcome,
    restarts: context.restarts,
    lastError: context.lastError,
  }),
  on: {
    WINDOW_PASSED: { actions: "forgetOne" },
    STOP: ".stopped",
  },
  states: {
    init: {
      always: [{ guard: "started", target: "running" }, { target: "starting" }],
    },
    starting: {
      entry: "startAvatar",
      on: {
        STARTED: "running",
        START_FAILED: [
          { guard: "exhausted", target: "failed", actions: "recordError" },
          { target: "backingOff", actions: ["recordError", "countRestart", "forgetLater"] },
        ],
      },
    },
    running: {
      on: {
        CRASHED: [
          { guard: "exhausted", target: "failed", actions: ["recordError", "releaseAvatar"] },
          { target: "backingOff", actions: ["recordError", "releaseAvatar", "countRestart", "forgetLater"] },
        ],
      },
    },
    backingOff: {
      after: { backoff: "starting" },
    },
    failed: { type: "final", entry: [assign({ outcome: "gave-up" as const }), "giveUp"] },
    stopped: { type: "final" },
  },
});

/** The supervisor's state names, for callers that watch snapshots. */
export type SessionSupervisorState = "init" | "starting" | "running" | "backingOff" | "failed" | "stopped";
