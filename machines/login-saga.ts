/** The login saga: credentials → avatarId → avatar → active until logout, as a pure xstate machine. */
import { assign, setup } from "xstate";

/** Why a session ended (PROTOCOL.md's `ended.reason`). */
export const EndReason = {
  logout: "logout",
  timeout: "timeout",
  revoked: "revoked",
  avatarFailed: "avatar-failed",
  shutdown: "shutdown",
} as const;
export type EndReason = (typeof EndReason)[keyof typeof EndReason];

/** Per-step limits in ms. `sessionMs` 0 means the session never times out (the library face). */
export interface SagaTimeouts {
  readonly checkMs: number;
  readonly realmMs: number;
  readonly logoutMs: number;
  /**
   * The logout limit of a session that timed out, when it must be shorter than `logoutMs` (the
   * protocol bounds when a timed-out session's `ended` goes out; a logout asked for has no such
   * bound, and waiting lets a slow realm's last notifications go out before `ended`). Default: `logoutMs`.
   */
  readonly timeoutLogoutMs?: number;
  readonly sessionMs: number;
  /** How long to keep waiting for a realm's late answer so it can be logged out. */
  readonly abandonMs: number;
}

export const defaultSagaTimeouts: SagaTimeouts = {
  checkMs: 10_000,
  realmMs: 10_000,
  logoutMs: 10_000,
  sessionMs: 0,
  abandonMs: 60_000,
};

/** Why a login did not become a session: which step, and what it threw (or that it timed out). */
export interface SagaFailure {
  readonly step: "checker" | "realm";
  readonly timedOut: boolean;
  readonly cause?: unknown;
}

export interface LoginSagaInput {
  /** Opaque to the machine; dropped from context once checked. */
  readonly credentials: unknown;
  readonly mind: unknown;
  readonly interfaces: readonly string[];
  readonly timeouts?: Partial<SagaTimeouts>;
  /** Where the attempt came from, for rate limiting; opaque to the machine. */
  readonly source?: string | undefined;
}

export interface LoginSagaContext {
  credentials: unknown;
  readonly mind: unknown;
  readonly interfaces: readonly string[];
  readonly timeouts: SagaTimeouts;
  readonly source: string | undefined;
  avatarId: unknown;
  /** What the realm granted (interface, avatar, logout); opaque to the machine. */
  grant: unknown;
  failure: SagaFailure | null;
  reason: EndReason | null;
  /** The client went away or timed out while the realm was answering: release on arrival. */
  abandoned: boolean;
  /**
   * A `HOLD`'s timer in place of `sessionMs`, until the next activity: the portal could not hear
   * its clients for a while and gives requests that waited meanwhile time to arrive.
   */
  holdMs: number | null;
  logoutError: unknown;
}

/**
 * Events from outside (ACTIVITY … AVATAR_FAILED) and the effects' reports (CHECKED … LOGGED_OUT):
 * the effects are actions supplied with `.provide()` that answer by sending these to the actor.
 */
export type LoginSagaEvent =
  | { type: "ACTIVITY" }
  | { type: "HOLD"; forMs: number }
  | { type: "LOGOUT" }
  | { type: "CANCEL" }
  | { type: "SHUTDOWN" }
  | { type: "REVOKE" }
  | { type: "AVATAR_FAILED" }
  | { type: "CHECKED"; avatarId: unknown }
  | { type: "CHECK_FAILED"; error: unknown }
  | { type: "GRANTED"; grant: unknown }
  | { type: "REALM_FAILED"; error: unknown }
  | { type: "LOGGED_OUT"; error?: unknown };

export interface LoginSagaOutput {
  readonly reason: EndReason | null;
  readonly failure: SagaFailure | null;
  readonly logoutError: unknown;
}

/**
 * The effects are placeholder actions (`checkCredentials`, `requestAvatar`, `logoutAvatar`)
 * supplied with `.provide()`; each reports back with an event. Effects run as actions rather
 * than invoked promise actors because a login is the hot path: a child actor per step tripled
 * its cost (measured: 4.5k → 12k sagas/s). `logoutAvatar` runs on entry to exactly one state,
 * so logout happens at most once.
 */
export const loginSagaMachine = setup({
  types: {
    context: {} as LoginSagaContext,
    input: {} as LoginSagaInput,
    events: {} as LoginSagaEvent,
    output: {} as LoginSagaOutput,
  },
  actions: {
    checkCredentials: () => {},
    requestAvatar: () => {},
    logoutAvatar: () => {},
    endWith: assign((_, params: { reason: EndReason }) => ({ reason: params.reason })),
    // Secrets leave the context as soon as the checker is done with them.
    forgetCredentials: assign({ credentials: null }),
  },
  delays: {
    checkTimeout: ({ context }) => context.timeouts.checkMs,
    realmTimeout: ({ context }) => context.timeouts.realmMs,
    logoutTimeout: ({ context }) =>
      context.reason === EndReason.timeout ? (context.timeouts.timeoutLogoutMs ?? context.timeouts.logoutMs) : context.timeouts.logoutMs,
    sessionTimeout: ({ context }) => context.holdMs ?? context.timeouts.sessionMs,
    abandonTimeout: ({ context }) => context.timeouts.abandonMs,
  },
  guards: {
    expires: ({ context }) => context.timeouts.sessionMs > 0,
    held: ({ context }) => context.holdMs !== null,
  },
}).createMachine({
  id: "loginSaga",
  context: ({ input }) => ({
    credentials: input.credentials,
    mind: input.mind,
    interfaces: input.interfaces,
    timeouts: { ...defaultSagaTimeouts, ...input.timeouts },
    source: input.source,
    avatarId: null,
    grant: null,
    failure: null,
    reason: null,
    abandoned: false,
    holdMs: null,
    logoutError: null,
  }),
  initial: "checking",
  output: ({ context }) => ({ reason: context.reason, failure: context.failure, logoutError: context.logoutError }),
  states: {
    checking: {
      entry: "checkCredentials",
      after: {
        checkTimeout: {
          target: "failed",
          actions: [assign({ failure: { step: "checker", timedOut: true } }), "forgetCredentials"],
        },
      },
      on: {
        // One assign, not two: each assign copies the context, and this is every login's path.
        CHECKED: { target: "resolvingAvatar", actions: assign({ avatarId: ({ event }) => event.avatarId, credentials: null }) },
        CHECK_FAILED: {
          target: "failed",
          actions: [
            assign({ failure: ({ event }) => ({ step: "checker", timedOut: false, cause: event.error }) }),
            "forgetCredentials",
          ],
        },
        LOGOUT: { target: "ended", actions: [{ type: "endWith", params: { reason: EndReason.logout } }, "forgetCredentials"] },
        CANCEL: { target: "ended", actions: [{ type: "endWith", params: { reason: EndReason.logout } }, "forgetCredentials"] },
        SHUTDOWN: { target: "ended", actions: [{ type: "endWith", params: { reason: EndReason.shutdown } }, "forgetCredentials"] },
      },
    },
    resolvingAvatar: {
      entry: "requestAvatar",
      after: {
        realmTimeout: { target: "abandoned", actions: assign({ failure: { step: "realm", timedOut: true } }) },
      },
      on: {
        GRANTED: { target: "active", actions: assign({ grant: ({ event }) => event.grant }) },
        REALM_FAILED: {
          target: "failed",
          actions: assign({ failure: ({ event }) => ({ step: "realm", timedOut: false, cause: event.error }) }),
        },
        LOGOUT: { target: "abandoned", actions: { type: "endWith", params: { reason: EndReason.logout } } },
        CANCEL: { target: "abandoned", actions: { type: "endWith", params: { reason: EndReason.logout } } },
        SHUTDOWN: { target: "abandoned", actions: { type: "endWith", params: { reason: EndReason.shutdown } } },
      },
    },
    // Nobody waits for the avatar any more, but the realm is still answering: compensation.
    // (States are kept flat on purpose: each nesting level costs every login a few µs.)
    abandoned: {
      entry: assign({ abandoned: true }),
      // A realm that never answers cannot hold the saga forever.
      after: { abandonTimeout: { target: "ended" } },
      on: {
        GRANTED: { target: "loggingOut", actions: assign({ grant: ({ event }) => event.grant }) },
        REALM_FAILED: { target: "ended" },
      },
    },
    active: {
      after: {
        sessionTimeout: {
          guard: "expires",
          target: "loggingOut",
          actions: { type: "endWith", params: { reason: EndReason.timeout } },
        },
      },
      on: {
        // Re-entering restarts the `after` timer: activity postpones the timeout (and ends a hold).
        ACTIVITY: [{ guard: "held", target: "active", reenter: true, actions: assign({ holdMs: null }) }, { target: "active", reenter: true }],
        // The timeout moves to `forMs` from now, sooner or later than a heartbeat window would put it.
        HOLD: { target: "active", reenter: true, actions: assign({ holdMs: ({ event }) => event.forMs }) },
        LOGOUT: { target: "loggingOut", actions: { type: "endWith", params: { reason: EndReason.logout } } },
        CANCEL: { target: "loggingOut", actions: { type: "endWith", params: { reason: EndReason.logout } } },
        SHUTDOWN: { target: "loggingOut", actions: { type: "endWith", params: { reason: EndReason.shutdown } } },
        REVOKE: { target: "loggingOut", actions: { type: "endWith", params: { reason: EndReason.revoked } } },
        AVATAR_FAILED: { target: "loggingOut", actions: { type: "endWith", params: { reason: EndReason.avatarFailed } } },
      },
    },
    loggingOut: {
      entry: "logoutAvatar",
      after: { logoutTimeout: { target: "ended", actions: assign({ logoutError: "logout timed out" }) } },
      on: {
        LOGGED_OUT: { target: "ended", actions: assign({ logoutError: ({ event }) => event.error ?? null }) },
      },
    },
    ended: { type: "final", entry: assign({ grant: null }) },
    failed: { type: "final" },
  },
});

/** The saga's state names, for callers that watch snapshots. */
export type LoginSagaState = "checking" | "resolvingAvatar" | "abandoned" | "active" | "loggingOut" | "ended" | "failed";
