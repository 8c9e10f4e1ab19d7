/**
 * Session subscriptions made ahead of the logins that will use them.
 *
 * PROTOCOL.md has the portal subscribe each session's `P.session.ID.>` before its login reply
 * names the session, and nats.js's `subscribe` is ~9 µs of JavaScript (a subscription object,
 * three promises, the `SUB` line): about a seventh of what a login costs the portal between its
 * request and its reply. Made a few at a time after the logins that used the last ones, those
 * subscriptions leave the login's path; the `SUB` then reaches nats-server long before the reply
 * naming its session, as before.
 *
 * An identifier a realm saw is never handed out again. One whose login failed before any realm
 * saw it (a refused password, a rate limit) goes back: nobody outside this process ever learnt
 * it, and a brute force would otherwise cost nats-server a `SUB` and an `UNSUB` per guess.
 */
import type { Bus, BusMessage, BusSubscription } from "../../transports/bus.ts";
import { checkWholeNumber } from "../option-checks.ts";
import { SessionEnded, type AvatarError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { newIdentifier } from "../wire/identifiers.ts";
import type { Subjects } from "../wire/subjects.ts";
import type { SessionReceiver } from "./ended-sessions.ts";
import { respondTo } from "./responder.ts";

/** How many subscriptions wait made; refilled once half are taken. */
export const DEFAULT_RESERVE_SIZE = 32;

/** A session's identifier with its subscription already made; `route.to` answers its messages. */
export interface ReservedSession {
  readonly id: string;
  /** `P.session.ID`, the subscription being `P.session.ID.>`. */
  readonly base: string;
  readonly route: { to: SessionReceiver };
  readonly subscription: BusSubscription;
}

export interface SessionSubjectReserveOptions {
  readonly size?: number | undefined;
  readonly logger: Logger;
  readonly fallback: () => AvatarError;
}

export class SessionSubjectReserve {
  readonly #ready: ReservedSession[] = [];
  readonly #size: number;
  readonly #unassigned: SessionReceiver;
  #refillQueued = false;
  #closed = false;

  constructor(
    private readonly bus: Bus,
    private readonly subjects: Subjects,
    options: SessionSubjectReserveOptions,
  ) {
    const size = options.size ?? DEFAULT_RESERVE_SIZE;
    checkWholeNumber("sessionReserve", size, 0, 10_000);
    this.#size = size;
    this.#unassigned = new UnassignedSession({ logger: options.logger, fallback: options.fallback });
  }

  /** How many wait made. */
  get ready(): number {
    return this.#ready.length;
  }

  /** Makes the first ones (before the portal takes logins). */
  fill(): void {
    while (!this.#closed && this.#ready.length < this.#size) this.#ready.push(this.#make());
  }

  /** A session identifier and its subscription: a reserved one, or one made now when none is left. */
  take(): ReservedSession {
    const reserved = this.#ready.pop() ?? this.#make();
    if (this.#ready.length <= this.#size >> 1) this.#queueRefill();
    return reserved;
  }

  /**
   * For a login that failed before its identifier left this process: it answers as a session that
   * never existed again, and goes back for the next login. Otherwise (the reserve is full or
   * closed) its subscription is dropped.
   */
  giveBack(reserved: ReservedSession): void {
    reserved.route.to = this.#unassigned;
    if (this.#closed || this.#ready.length >= this.#size) void reserved.subscription.drain();
    else this.#ready.push(reserved);
  }

  /** For a login that failed after a realm saw its identifier: never handed out again. */
  discard(reserved: ReservedSession): void {
    reserved.route.to = this.#unassigned;
    void reserved.subscription.drain();
  }

  /** Drops every subscription still waiting. */
  close(): Promise<void> {
    this.#closed = true;
    const waiting = this.#ready.splice(0);
    return Promise.all(waiting.map((reserved) => reserved.subscription.drain())).then(() => undefined);
  }

  #make(): ReservedSession {
    const id = newIdentifier();
    const base = this.subjects.session(id);
    const route = { to: this.#unassigned };
    return { id, base, route, subscription: subscribeRouted(this.bus, `${base}.>`, route) };
  }

  // After this turn's replies: the refill's `SUB`s leave in a write of their own, off every login's path.
  #queueRefill(): void {
    if (this.#refillQueued || this.#closed) return;
    this.#refillQueued = true;
    setImmediate(() => {
      this.#refillQueued = false;
      try {
        this.fill();
      } catch {
        // The bus is closing or closed: logins then fail on their own, and take() says why.
      }
    });
  }
}

/**
 * Made outside any session on purpose: V8 gives all closures of one scope one shared context, and
 * a callback made where a session is would keep it (its saga, its avatar) alive for as long as the
 * subscription lingers after the session ended.
 */
export function subscribeRouted(bus: Bus, subject: string, route: { readonly to: SessionReceiver }): BusSubscription {
  return bus.subscribe(subject, (message) => route.to.receive(message));
}

/** What a reserved subject answers before its login is done: as a session that never existed. */
class UnassignedSession implements SessionReceiver {
  constructor(private readonly serve: { readonly logger: Logger; readonly fallback: () => AvatarError }) {}

  receive(message: BusMessage): Promise<void> | undefined {
    return respondTo(message, () => Promise.reject(new SessionEnded()), this.serve);
  }
}
