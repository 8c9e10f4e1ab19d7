/** The Portal: dispatches credentials to the checker for their kind and the avatar id to the realm. */
import { createActor, type InspectionEvent } from "xstate";
import { loginSagaMachine, type SagaTimeouts } from "../machines/login-saga.ts";
import { isValidAvatarId } from "./checkers/avatar-id.ts";
import { ANONYMOUS, type AvatarId, type Checker } from "./checkers/checker.ts";
import type { Credentials } from "./credentials/credentials.ts";
import { CheckerUnavailable, LoginFailed, PortcullisError, UNAUTHORIZED_MESSAGE, UnauthorizedLogin, UnhandledCredentials } from "./errors.ts";
import { LeanActor } from "./lean-actor.ts";
import { LoginSession } from "./login-session.ts";
import { guardLogin, type RateLimiterStep } from "./rate-limit/guard.ts";
import type { RateLimiter } from "./rate-limit/rate-limiter.ts";
import type { LoginResult, Mind, Realm } from "./realm.ts";
import { checkedGrant } from "./realm-grant.ts";

export interface PortalOptions {
  /** Per-step limits of each login saga (see `SagaTimeouts`). */
  readonly timeouts?: Partial<SagaTimeouts>;
  /** Counts refusals per account and source; past its threshold logins get `RateLimited`. */
  readonly rateLimiter?: RateLimiter | null;
  /**
   * Told when the rate limiter fails: at `check` the login fails closed with `LoginFailed`; at
   * `record` (counting the outcome) the login's own outcome stands.
   */
  readonly onRateLimiterError?: (error: unknown, step: RateLimiterStep) => void;
  /**
   * Receives every saga's xstate inspection events (for `@statelyai/inspect` or a log). Secrets
   * never appear in them: credentials serialize redacted and leave the context once checked.
   * With it, sagas run as xstate `Actor`s; without it, as `LeanActor`s (same machine, cheaper).
   */
  readonly inspect?: (event: InspectionEvent) => void;
  /**
   * Told about a checker, realm or logout that threw something outside the protocol's errors.
   * Only a sanitized `LoginFailed` travels on through the saga (and its inspection events): an
   * arbitrary exception may carry a secret in its message.
   */
  readonly onUnexpectedError?: (step: "checker" | "realm" | "logout", error: unknown) => void;
  /** Told when a checker is dropped for being gone (`CheckerUnavailable`), so it can be looked for again. */
  readonly onCheckerGone?: (checker: Checker) => void;
  /**
   * How long, asked at that moment, a login whose kinds' checker is down may wait for one to be
   * registered again before it gets `LoginFailed` ("try again"); default 0. The runtime portal
   * gives the time left of the grace after its own NATS reconnect: a checker dropped around an
   * outage announces itself again a moment after.
   */
  readonly checkerReturnWaitMs?: () => number;
}

export interface OpenSessionOptions {
  readonly timeouts?: Partial<SagaTimeouts>;
  /** Where the attempt comes from (an address a front-end saw), for per-source rate limiting. */
  readonly source?: string;
}

function once(fn: () => void | Promise<void>): () => Promise<void> {
  let ran: Promise<void> | undefined;
  return () => (ran ??= Promise.resolve().then(fn));
}

/** A kind whose checkers are down or restarting: the client should try again shortly. */
const NO_CHECKER = "no checker available; try again";

/**
 * Associates one realm with a set of checkers (Twisted's `Portal`). The portal only dispatches;
 * every login runs as its own saga actor.
 */
export class Portal {
  /** kind → checkers registered for it, the most recent last (it is the one used). */
  readonly #checkers = new Map<string, Checker[]>();
  /**
   * kind → the checker that served it last and went away without withdrawing. Until one is
   * registered for the kind again (or that checker is unregistered), its logins get `LoginFailed`,
   * "try again", not `UnhandledCredentials`: a client must not take an outage for "unsupported".
   */
  readonly #down = new Map<string, Checker>();
  /** Kinds whose last checker withdrew, until when they answer "try again" rather than "unsupported". */
  readonly #withdrawnUntil = new Map<string, number>();
  readonly #machine;
  readonly #timeouts: Partial<SagaTimeouts>;
  readonly #rateLimiter: RateLimiter | null;
  readonly #onRateLimiterError: ((error: unknown, step: RateLimiterStep) => void) | undefined;
  readonly #inspect: ((event: InspectionEvent) => void) | undefined;
  readonly #onCheckerGone: ((checker: Checker) => void) | undefined;
  readonly #checkerReturnWaitMs: () => number;
  /** Logins waiting for a checker of their kinds to be registered again. */
  readonly #awaitingReturn = new Set<() => void>();

  constructor(readonly realm: Realm, checkers: Iterable<Checker> = [], options: PortalOptions = {}) {
    this.#timeouts = options.timeouts ?? {};
    this.#rateLimiter = options.rateLimiter ?? null;
    this.#onRateLimiterError = options.onRateLimiterError;
    this.#inspect = options.inspect;
    this.#onCheckerGone = options.onCheckerGone;
    this.#checkerReturnWaitMs = options.checkerReturnWaitMs ?? (() => 0);
    const onUnexpected = options.onUnexpectedError;
    const sanitize = (step: "checker" | "realm" | "logout", error: unknown): PortcullisError => {
      // One refusal text whatever the checker said ("no such user" would tell who exists).
      if (error instanceof UnauthorizedLogin) return error.message === UNAUTHORIZED_MESSAGE ? error : new UnauthorizedLogin();
      if (error instanceof PortcullisError) return error;
      onUnexpected?.(step, error);
      return new LoginFailed(`${step} failed`);
    };
    for (const checker of checkers) this.registerChecker(checker);
    this.#machine = loginSagaMachine.provide({
      actions: {
        checkCredentials: ({ context, self }) => {
          this.#guardedRequestAvatarId(context.credentials as Credentials, context.source).then(
            (avatarId) => self.send({ type: "CHECKED", avatarId }),
            (error: unknown) => self.send({ type: "CHECK_FAILED", error: sanitize("checker", error) }),
          );
        },
        requestAvatar: ({ context, self }) => {
          this.#requestAvatar(context.avatarId as AvatarId, context.mind as Mind | null, context.interfaces).then(
            (grant) => {
              // The saga gave up waiting and ended: nobody else will ever log this avatar out.
              if (self.getSnapshot().status !== "active") void Promise.resolve(grant.logout()).catch(() => undefined);
              else self.send({ type: "GRANTED", grant });
            },
            (error: unknown) => self.send({ type: "REALM_FAILED", error: sanitize("realm", error) }),
          );
        },
        logoutAvatar: ({ context, self }) => {
          Promise.resolve()
            .then(() => (context.grant as LoginResult).logout())
            .then(
              () => self.send({ type: "LOGGED_OUT" }),
              (error: unknown) => self.send({ type: "LOGGED_OUT", error: sanitize("logout", error) }),
            );
        },
      },
    });
  }

  /**
   * Adds a checker for `kinds` (default: its `credentialKinds`). A later registration for a
   * kind takes precedence over earlier ones; unregistering it restores the previous one.
   */
  registerChecker(checker: Checker, ...kinds: string[]): void {
    for (const kind of kinds.length > 0 ? kinds : checker.credentialKinds) {
      this.#down.delete(kind);
      this.#withdrawnUntil.delete(kind);
      const stack = this.#checkers.get(kind);
      if (stack) {
        const at = stack.indexOf(checker);
        if (at >= 0) stack.splice(at, 1);
        stack.push(checker);
      } else {
        this.#checkers.set(kind, [checker]);
      }
    }
    const waiting = [...this.#awaitingReturn];
    this.#awaitingReturn.clear();
    for (const wake of waiting) wake();
  }

  /**
   * Removes a checker from every kind it was registered for (a withdrawal). With `graceMs`, a kind
   * it leaves without any checker answers `LoginFailed` ("try again") for that long before
   * `UnhandledCredentials`: a checker stopped for a restart withdraws too, and its clients must
   * not be told their kind is unsupported meanwhile.
   */
  unregisterChecker(checker: Checker, options: { readonly graceMs?: number } = {}): void {
    // Kinds it had already left by going away (a login met no responders while it withdrew) are
    // left by it now too: they get the grace as well (an outside probe saw a login in the
    // withdrawal's 250 ms turn every later one into UnhandledCredentials at once).
    const wentAway: string[] = [];
    for (const [kind, gone] of this.#down) {
      if (gone !== checker) continue;
      this.#down.delete(kind);
      wentAway.push(kind);
    }
    const orphaned = [...this.#remove(checker), ...wentAway.filter((kind) => !this.#checkers.has(kind))];
    const graceMs = options.graceMs ?? 0;
    if (graceMs > 0) for (const kind of orphaned) this.#withdrawnUntil.set(kind, performance.now() + graceMs);
  }

  /** Removes `checker` everywhere; returns the kinds it leaves without any checker. */
  #remove(checker: Checker): string[] {
    const orphaned: string[] = [];
    for (const [kind, stack] of this.#checkers) {
      const at = stack.indexOf(checker);
      if (at >= 0) stack.splice(at, 1);
      if (stack.length === 0) {
        this.#checkers.delete(kind);
        orphaned.push(kind);
      }
    }
    return orphaned;
  }

  /** Whether `checker` is registered for some kind (the most recent or not). */
  hasChecker(checker: Checker): boolean {
    for (const stack of this.#checkers.values()) if (stack.includes(checker)) return true;
    return false;
  }

  /** The credentials kinds some checker handles, in registration order. */
  listCredentialsKinds(): string[] {
    return [...this.#checkers.keys()];
  }

  /** The checker that would check these credentials: the first registered kind they provide. */
  checkerFor(credentials: Pick<Credentials, "kinds">): Checker | undefined {
    for (const [kind, stack] of this.#checkers) {
      if (credentials.kinds.includes(kind)) return stack[stack.length - 1];
    }
    return undefined;
  }

  /**
   * Logs in (Twisted's `login`): resolves to the interface chosen, the avatar and its logout.
   * Rejects with `UnhandledCredentials`, `UnauthorizedLogin`, `NoSuchInterface` or `LoginFailed`.
   */
  async login(credentials: Credentials, mind: Mind | null, ...interfaces: string[]): Promise<LoginResult> {
    const session = this.openSession(credentials, mind, interfaces);
    const grant = await session.ready;
    return { interface: grant.interface, avatar: grant.avatar, logout: () => session.logout() };
  }

  /** Starts a login saga and returns its handle (the runtime face uses this). */
  openSession(
    credentials: Credentials,
    mind: Mind | null,
    interfaces: readonly string[],
    options: OpenSessionOptions = {},
  ): LoginSession {
    if (interfaces.length === 0) throw new TypeError("login needs at least one interface");
    const input = { credentials, mind, interfaces, timeouts: { ...this.#timeouts, ...options.timeouts }, source: options.source };
    // Inspection needs xstate's own Actor (its events feed the Stately inspector); otherwise the
    // same machine runs in a LeanActor, about a quarter cheaper per saga and half the memory (docs/performance.md).
    const actor = this.#inspect
      ? createActor(this.#machine, { input, inspect: this.#inspect })
      : new LeanActor(this.#machine, { input });
    const sessionMs = options.timeouts?.sessionMs ?? this.#timeouts.sessionMs ?? 0;
    // A tenth of the session timer: well inside the 0.25 × heartbeat the protocol's window allows.
    const session = new LoginSession(actor, sessionMs / 10);
    actor.start();
    return session;
  }

  #guardedRequestAvatarId(credentials: Credentials, source: string | undefined): Promise<AvatarId> {
    if (this.#rateLimiter === null) return this.#requestAvatarId(credentials);
    const username = credentials.toWire()["username"];
    const keys = {
      ...(typeof username === "string" ? { account: username } : {}),
      ...(source === undefined ? {} : { source }),
    };
    return guardLogin(this.#rateLimiter, keys, () => this.#requestAvatarId(credentials), {
      ...(this.#onRateLimiterError ? { onError: this.#onRateLimiterError } : {}),
    });
  }

  async #requestAvatarId(credentials: Credentials): Promise<AvatarId> {
    let checker = this.checkerFor(credentials) ?? (await this.#awaitReturn(credentials));
    if (!checker) throw this.noCheckerError(credentials);
    for (;;) {
      try {
        const avatarId = await checker.requestAvatarId(credentials);
        // Where every checker's answer enters the saga: one that names nobody fails the login.
        if (avatarId !== ANONYMOUS && !isValidAvatarId(avatarId)) throw new LoginFailed("the checker answered an invalid avatarId");
        return avatarId;
      } catch (error) {
        if (!(error instanceof CheckerUnavailable)) throw error;
        // A checker that is gone counts as withdrawn; the login is tried once on its fallback,
        // and on that one's if it is gone too: each try drops one, so this ends.
        for (const kind of this.#remove(checker)) this.#down.set(kind, checker);
        this.#onCheckerGone?.(checker);
        const fallback = this.checkerFor(credentials) ?? (await this.#awaitReturn(credentials));
        if (!fallback) throw new LoginFailed(NO_CHECKER);
        checker = fallback;
      }
    }
  }

  /**
   * A checker for `credentials` once one is registered again, when its kinds' checker is down
   * ("try again") and `checkerReturnWaitMs` allows a wait; undefined otherwise or when the wait is over.
   */
  async #awaitReturn(credentials: Credentials): Promise<Checker | undefined> {
    const deadline = performance.now() + this.#checkerReturnWaitMs();
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0 || this.noCheckerError(credentials) instanceof UnhandledCredentials) return undefined;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.#awaitingReturn.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.#awaitingReturn.add(wake);
      });
      const checker = this.checkerFor(credentials);
      if (checker) return checker;
    }
  }

  /**
   * What a login of these kinds gets when no checker handles them: `LoginFailed` ("try again")
   * while a kind's checker is down or within its withdrawal grace, `UnhandledCredentials` otherwise.
   * Challenge mechanisms ask it too, so an outage never reads as "unsupported" there either.
   */
  noCheckerError(credentials: Pick<Credentials, "kinds">): PortcullisError {
    for (const kind of credentials.kinds) {
      if (this.#down.has(kind)) return new LoginFailed(NO_CHECKER);
      const until = this.#withdrawnUntil.get(kind);
      if (until !== undefined) {
        if (performance.now() < until) return new LoginFailed(NO_CHECKER);
        this.#withdrawnUntil.delete(kind);
      }
    }
    return new UnhandledCredentials(`No checker for ${credentials.kinds.join(", ")}`);
  }

  async #requestAvatar(avatarId: AvatarId, mind: Mind | null, interfaces: readonly string[]): Promise<LoginResult> {
    const grant = await checkedGrant(await this.realm.requestAvatar(avatarId, mind, ...interfaces), interfaces);
    return { interface: grant.interface, avatar: grant.avatar, logout: once(grant.logout) };
  }
}

