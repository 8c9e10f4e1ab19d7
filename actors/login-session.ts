/** One running login saga, seen from outside: a promise for the avatar, one for the end, and its controls. */
import type { EndReason, LoginSagaOutput, SagaFailure, loginSagaMachine } from "../machines/login-saga.ts";
import { LoginFailed, PortcullisError, SessionEnded } from "./errors.ts";
import type { RunningMachine } from "./lean-actor.ts";
import type { LoginResult } from "./realm.ts";

/** A running login saga: a `LeanActor`, or xstate's `Actor` when the portal is inspected. */
export type LoginSagaActor = RunningMachine<typeof loginSagaMachine>;

/** Turns a saga failure into the error the client sees; unexpected throws become `LoginFailed`. */
export function failureToError(failure: SagaFailure | null): PortcullisError {
  if (failure === null) return new LoginFailed("login abandoned");
  if (failure.timedOut) return new LoginFailed(`${failure.step} timed out`);
  if (failure.cause instanceof PortcullisError) return failure.cause;
  return new LoginFailed(`${failure.step} failed`);
}

/** How a session ended: its reason, and the saga's full output. */
export interface SessionEnd extends LoginSagaOutput {
  readonly reason: EndReason | null;
}

/** Watches a started saga actor. `ready` rejects with the protocol error when login fails. */
export class LoginSession {
  readonly ready: Promise<LoginResult>;
  readonly ended: Promise<SessionEnd>;
  #isActive = false;
  #logout: Promise<void> | undefined;

  /** When activity was last forwarded to the saga. */
  #lastTouch = Number.NEGATIVE_INFINITY;
  /** When the session times out, where that is not `#lastTouch` + sessionMs: set on becoming active and by `hold`. */
  #deadline = Number.NEGATIVE_INFINITY;
  // Held until used, then dropped: a live session keeps only what it still needs (~100k of them
  // per process), so no closure over these either.
  #resolveReady: ((result: LoginResult) => void) | undefined;
  #rejectReady: ((error: unknown) => void) | undefined;
  #resolveEnded: ((end: SessionEnd) => void) | undefined;

  constructor(readonly actor: LoginSagaActor, readonly coalesceMs = 0) {
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    // Nobody may be awaiting `ready` (a client gone mid-login); the rejection is still observed.
    this.ready.catch(() => undefined);
    actor.subscribe(new LoginSession.#Observer(this));
  }

  /** The saga's observer: one small object with its methods on a prototype, not two closures per session. */
  static readonly #Observer = class {
    constructor(private readonly session: LoginSession) {}
    next(snapshot: ReturnType<LoginSagaActor["getSnapshot"]>): void {
      this.session.#saw(snapshot);
    }
    error(error: unknown): void {
      this.session.#failed(error);
    }
  };

  #saw(snapshot: ReturnType<LoginSagaActor["getSnapshot"]>): void {
    if (this.#resolveReady !== undefined) {
      if (snapshot.matches("active")) {
        this.#isActive = true;
        this.#deadline = performance.now() + snapshot.context.timeouts.sessionMs;
        this.#resolveReady(snapshot.context.grant as LoginResult);
        this.#settleReady();
      } else if (snapshot.matches("abandoned") || snapshot.status === "done") {
        this.#rejectReady?.(snapshot.context.failure ? failureToError(snapshot.context.failure) : new LoginFailed("login cancelled"));
        this.#settleReady();
      }
    }
    if (snapshot.status === "done") {
      this.#isActive = false;
      this.#resolveEnded?.(snapshot.output as SessionEnd);
      this.#resolveEnded = undefined;
    }
  }

  /** A machine bug, not a login outcome: fail closed. */
  #failed(error: unknown): void {
    this.#rejectReady?.(new LoginFailed());
    this.#settleReady();
    this.#resolveEnded?.({ reason: null, failure: { step: "realm", timedOut: false, cause: error }, logoutError: error });
    this.#resolveEnded = undefined;
  }

  #settleReady(): void {
    this.#resolveReady = undefined;
    this.#rejectReady = undefined;
  }

  /** True while the session is active (logged in, not yet logging out). */
  get isActive(): boolean {
    return this.#isActive;
  }

  /**
   * Counts as activity: postpones the heartbeat timeout. Activity within `coalesceMs` of the last
   * one forwarded to the saga is not forwarded again: each forward is an xstate transition and a
   * timer reset, and a busy session would pay it on every call. With `coalesceMs` ≤ 0.25 × the
   * session timer's 2.5 × heartbeat, the timeout still lands 2.25–2.5 × heartbeat after the last
   * activity, inside the protocol's 2×…3× + 1 s.
   */
  touch(): void {
    const now = performance.now();
    if (now - this.#lastTouch < this.coalesceMs) return;
    this.#lastTouch = now;
    this.#deadline = Number.NEGATIVE_INFINITY;
    this.actor.send({ type: "ACTIVITY" });
  }

  /**
   * Keeps the session about `graceMs` more (at least half of it), never shortening its timeout:
   * the portal could not hear its clients for a while (a stall of its process, its NATS connection
   * back), and a request that waited meanwhile must get to count before the session times out.
   * Unlike `touch`, it does not restart a whole heartbeat window, which would end a dead client's
   * session past PROTOCOL.md's 3 × heartbeatMs + 1 s.
   */
  hold(graceMs: number): void {
    if (!this.#isActive) return;
    const sessionMs = this.actor.getSnapshot().context.timeouts.sessionMs;
    if (sessionMs <= 0) return;
    const now = performance.now();
    // Half the grace left is enough: holding again for a few µs more would cost a transition.
    if (Math.max(this.#deadline, this.#lastTouch + sessionMs) >= now + graceMs / 2) return;
    this.#deadline = now + graceMs;
    // The next activity is forwarded whatever the coalescing: it must end the hold.
    this.#lastTouch = Number.NEGATIVE_INFINITY;
    this.actor.send({ type: "HOLD", forMs: graceMs });
  }

  /** Logs out (once, whatever the number of calls); resolves when the avatar is logged out. */
  logout(): Promise<void> {
    this.#logout ??= this.#end({ type: "LOGOUT" });
    return this.#logout;
  }

  /** Ends the session for shutdown; resolves when the avatar is logged out. */
  shutdown(): Promise<SessionEnd> {
    this.actor.send({ type: "SHUTDOWN" });
    return this.ended;
  }

  /** Ends the session as revoked. */
  revoke(): Promise<SessionEnd> {
    this.actor.send({ type: "REVOKE" });
    return this.ended;
  }

  async #end(event: { type: "LOGOUT" }): Promise<void> {
    this.actor.send(event);
    const end = await this.ended;
    if (end.reason === null && end.failure) throw new SessionEnded();
  }
}
