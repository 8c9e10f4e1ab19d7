/** One challenge-response round trip as a pure xstate machine: issued → awaiting → verifying → done | refused | expired. */
import { assign, setup } from "xstate";

/** How a challenge ended (its output). */
export const ChallengeOutcome = {
  done: "done",
  refused: "refused",
  expired: "expired",
} as const;
export type ChallengeOutcome = (typeof ChallengeOutcome)[keyof typeof ChallengeOutcome];

export const DEFAULT_CHALLENGE_EXPIRY_MS = 60_000;
/** Rounds a mechanism may ask for with `continue` before the challenge is refused. */
export const DEFAULT_MAX_ROUNDS = 4;

export interface ChallengeInput {
  /** Each round must be answered within this long (default 60000 ms). */
  readonly expiresInMs?: number;
  readonly maxRounds?: number;
}

export interface ChallengeContext {
  readonly expiresInMs: number;
  readonly maxRounds: number;
  /** Responses taken so far (one per round). */
  rounds: number;
  failure: unknown;
  outcome: ChallengeOutcome | null;
}

/**
 * From outside: RESPONSE (one answer to the current round; its payload is opaque here), QUERY
 * (a question that is not an answer, e.g. ssh-key's "is this key acceptable?"), CANCEL.
 * The effects' reports: ISSUED / ISSUE_FAILED, VERIFIED / REFUSED / CONTINUE.
 */
export type ChallengeEvent =
  | { type: "ISSUED" }
  | { type: "ISSUE_FAILED"; error: unknown }
  | { type: "RESPONSE"; response: unknown }
  | { type: "QUERY"; query: unknown }
  | { type: "VERIFIED" }
  | { type: "REFUSED"; error?: unknown }
  | { type: "CONTINUE" }
  | { type: "CANCEL" };

export interface ChallengeOutput {
  readonly outcome: ChallengeOutcome;
  readonly rounds: number;
  readonly failure: unknown;
}

/**
 * Effects are placeholder actions supplied with `.provide()`: `issue` (make the challenge and
 * start listening; reports ISSUED or ISSUE_FAILED), `verify` (take the RESPONSE event it is given
 * as the round's one response and have it checked; reports VERIFIED, REFUSED or CONTINUE),
 * `answerQuery` (answer a QUERY; the round stays open) and `refuseResponse` (answer a response the
 * machine will not take: a second one while verifying). A host sends RESPONSE only for an answer
 * whose login fields passed (a refused `mind` is not a response). Once final, the machine takes
 * nothing: the host stops listening on its `done`.
 */
export const challengeMachine = setup({
  types: {
    context: {} as ChallengeContext,
    input: {} as ChallengeInput,
    events: {} as ChallengeEvent,
    output: {} as ChallengeOutput,
  },
  actions: {
    issue: () => {},
    verify: () => {},
    answerQuery: () => {},
    refuseResponse: () => {},
  },
  delays: {
    expiry: ({ context }) => context.expiresInMs,
  },
  guards: {
    roundsLeft: ({ context }) => context.rounds < context.maxRounds,
  },
}).createMachine({
  id: "challenge",
  context: ({ input }) => ({
    expiresInMs: input.expiresInMs ?? DEFAULT_CHALLENGE_EXPIRY_MS,
    maxRounds: input.maxRounds ?? DEFAULT_MAX_ROUNDS,
    rounds: 0,
    failure: null,
    outcome: null,
  }),
  initial: "issued",
  output: ({ context }) => ({
    outcome: context.outcome ?? ChallengeOutcome.refused,
    rounds: context.rounds,
    failure: context.failure,
  }),
  states: {
    issued: {
      entry: "issue",
      after: { expiry: "expired" },
      on: {
        ISSUED: "awaiting",
        ISSUE_FAILED: { target: "refused", actions: assign({ failure: ({ event }) => event.error }) },
        CANCEL: "expired",
      },
    },
    awaiting: {
      // Re-entered on `continue`: every round gets the full window.
      after: { expiry: "expired" },
      on: {
        // The one response of this round: counted on arrival, so nothing can answer it twice.
        RESPONSE: { target: "verifying", actions: [assign({ rounds: ({ context }) => context.rounds + 1 }), "verify"] },
        QUERY: { actions: "answerQuery" },
        CANCEL: "expired",
      },
    },
    verifying: {
      on: {
        RESPONSE: { actions: "refuseResponse" },
        QUERY: { actions: "refuseResponse" },
        VERIFIED: "done",
        REFUSED: { target: "refused", actions: assign({ failure: ({ event }) => event.error ?? null }) },
        CONTINUE: [{ guard: "roundsLeft", target: "awaiting" }, { target: "refused" }],
        // A verification in flight is not cut short: the login it runs has its own limits.
      },
    },
    done: { type: "final", entry: assign({ outcome: ChallengeOutcome.done }) },
    refused: { type: "final", entry: assign({ outcome: ChallengeOutcome.refused }) },
    expired: { type: "final", entry: assign({ outcome: ChallengeOutcome.expired }) },
  },
});

/** The machine's state names. */
export type ChallengeState = "issued" | "awaiting" | "verifying" | ChallengeOutcome;
