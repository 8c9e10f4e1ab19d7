/**
 * A session's subjects stay answered for a while after it ends: PROTOCOL.md has a logout of a
 * session that already ended reply `{"ok": true}` or `SessionEnded`, and a client that repeats
 * its logout (its first reply lost, or a double click) must hear that, not no-responders.
 */
import type { BusMessage, BusSubscription } from "../../transports/bus.ts";
import { checkWholeNumber } from "../option-checks.ts";
import { SessionEnded, type AvatarError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { EndReason } from "../../machines/login-saga.ts";
import { okEmpty } from "../wire/codec.ts";
import { respondTo } from "./responder.ts";

/** How long an ended session's subscription keeps answering, by default. */
export const DEFAULT_ENDED_LINGER_MS = 5_000;

/** Whatever answers a session's `P.session.ID.>` messages now. */
export interface SessionReceiver {
  /** The answer's promise, when one is pending: draining the bus waits for it. */
  receive(message: BusMessage): Promise<void> | undefined;
  /** The same for a message that came while the session's login was under way (`PendingSession`). */
  receiveHeld?(message: BusMessage): Promise<void> | undefined;
}

/**
 * What an ended session answers, holding only what that takes (a live session's state is
 * garbage by then): `logout` is done, anything else has ended, `release` included. A realm
 * service's release notice is a plain publish and gets nothing; a release *request* did get
 * silence once (its realm had let go of the subject, and this subscription kept NATS from saying
 * no-responders: an outside fuzzer).
 */
export class EndedSessionResponder implements SessionReceiver {
  /**
   * `taken`: the calls the realm process listed as its own in its answer to the release. Such a
   * call can still reach the portal after that answer when the two came on different connections
   * (the portal's session subscription on one, its realm requests on another): the realm answers
   * it, so this must not (a test under load saw all five calls of a session answered twice).
   */
  constructor(
    private readonly base: string,
    private readonly serve: { readonly logger: Logger; readonly fallback: () => AvatarError },
    /** Why it ended, said with each `SessionEnded` (a client without a Mind learns it no other way). */
    private readonly reason: EndReason,
    private readonly taken?: ReadonlySet<string>,
    /** Decides each call instead (asking the realm process whether it took it), when there is no list. */
    private readonly decideCall?: (message: BusMessage) => Promise<void> | undefined,
    /** True for the portal's own messages to the realm (a release sent again): the realm's to answer. */
    private readonly own?: (reply: string | undefined) => boolean,
  ) {}

  receive(message: BusMessage): Promise<void> | undefined {
    if (this.own?.(message.reply) === true) return undefined;
    const verb = message.subject.slice(this.base.length + 1);
    if (verb === "logout") return respondTo(message, () => okEmpty(), this.serve);
    if (verb === "call" && this.decideCall !== undefined) return this.decideCall(message);
    if (verb === "call" && message.reply !== undefined && this.taken?.has(message.reply) === true) return undefined;
    return respondTo(message, () => Promise.reject(new SessionEnded(undefined, this.reason)), this.serve);
  }
}

/**
 * Holds ended sessions' subscriptions for `lingerMs`, then drains them. One timer for all of
 * them: every hold lasts the same, so they expire in the order they came.
 */
export class EndedSessionLinger {
  #held: Array<{ readonly until: number; readonly subscription: BusSubscription }> = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(readonly lingerMs: number = DEFAULT_ENDED_LINGER_MS) {
    checkWholeNumber("endedLingerMs", lingerMs, 0);
  }

  /** How many ended sessions are still answered. */
  get size(): number {
    return this.#held.length - this.#head;
  }

  hold(subscription: BusSubscription): void {
    if (this.lingerMs === 0 || this.#closed) {
      void subscription.drain();
      return;
    }
    this.#held.push({ until: performance.now() + this.lingerMs, subscription });
    this.#timer ??= this.#schedule(this.lingerMs);
  }

  /** Drains every held subscription now (the portal is closing). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#release(Number.POSITIVE_INFINITY);
  }

  #schedule(ms: number): NodeJS.Timeout {
    const timer = setTimeout(this.#sweep, Math.max(1, Math.ceil(ms)));
    // Answering repeated logouts must not keep a process alive on its own.
    timer.unref();
    return timer;
  }

  readonly #sweep = (): void => {
    const now = performance.now();
    this.#release(now);
    this.#timer = this.size > 0 ? this.#schedule(this.#held[this.#head]!.until - now) : undefined;
  };

  #release(upTo: number): void {
    const held = this.#held;
    while (this.#head < held.length && held[this.#head]!.until <= upTo) {
      void held[this.#head]!.subscription.drain();
      held[this.#head++] = undefined!;
    }
    // Compacted once the drained front is most of the array, so it never grows without bound.
    if (this.#head === held.length) {
      this.#held = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > held.length) {
      this.#held = held.slice(this.#head);
      this.#head = 0;
    }
  }
}
