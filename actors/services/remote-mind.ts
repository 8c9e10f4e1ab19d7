/** A Mind whose notifications are messages on the client's mind subject, paced and bounded per session. */
import type { Bus } from "../../transports/bus.ts";
import { PayloadTooLarge } from "../../transports/errors.ts";
import type { EndReason } from "../../machines/login-saga.ts";
import type { Mind } from "../realm.ts";
import { encode } from "../wire/codec.ts";
import type { OutageEndings } from "./outage-endings.ts";

/**
 * How fast one session's notifications go out, and how many may wait. NATS publishing is
 * fire-and-forget and the bus reports no per-subject backpressure, so "a Mind that cannot keep
 * up" is defined by rate: past `burst`, notifications faster than `ratePerSecond` wait in the
 * session's queue; past `maxQueued` messages or `maxQueuedBytes`, they are dropped and counted.
 */
export interface MindLimits {
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly maxQueued: number;
  readonly maxQueuedBytes: number;
}

export const defaultMindLimits: MindLimits = {
  ratePerSecond: 1_000,
  burst: 200,
  maxQueued: 1_000,
  maxQueuedBytes: 1 << 20,
};

/**
 * Publishes `notify` messages in order, then one `ended`, to `subject` (null: Twisted's
 * `mind=None`, notifications are accepted and dropped). Notifications beyond the limits are
 * dropped; once the queue has drained, `{"type":"notify","event":"dropped","data":{"count":N}}`
 * says how many, at the place of the gap. A healthy Mind holds no queue and no timer. Once
 * closed it drops everything, so nothing follows `ended`.
 *
 * Each `notify` message published carries `seq`, 1 for the session's first and one more for each
 * after (the `dropped` notice included), and `ended` takes the number after the last: core NATS
 * loses what is published while the client is cut off, and a gap in `seq` is how the client
 * learns that it missed some, the last ones before the end included.
 */
export class RemoteMind implements Mind {
  #open = true;
  readonly #limits: MindLimits;
  #tokens: number;
  #refilledAt = 0;
  // A queue only while the Mind is behind: `#head` avoids shifting the array.
  #queue: Uint8Array[] | undefined;
  #head = 0;
  #queuedBytes = 0;
  #dropped = 0;
  #timer: NodeJS.Timeout | undefined;
  #held = false;
  /** The `seq` of the last notification numbered; given as a message is encoded, so queued ones keep their order. */
  #seq = 0;

  constructor(
    private readonly bus: Bus,
    readonly subject: string | null,
    readonly session: string,
    limits?: Partial<MindLimits>,
    /** The portal instance hosting the session (told to realm services, which watch it). */
    readonly portal?: string,
    /** Sends `ended` again after a NATS outage it was published in (the portal's). */
    private readonly outageEndings?: OutageEndings,
  ) {
    this.#limits = limits === undefined ? defaultMindLimits : { ...defaultMindLimits, ...limits };
    this.#tokens = this.#limits.burst;
  }

  /** Messages waiting to go out (0 while the Mind keeps up). */
  get queued(): number {
    return this.#queue === undefined ? 0 : this.#queue.length - this.#head;
  }

  /** Bytes waiting to go out. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /**
   * Publishes nothing more until `resume`: notifications wait in the queue, within the same
   * limits. A realm service holds its Minds while it does not know whether their sessions are
   * still live (after losing its NATS connection), so nothing reaches a client after its `ended`.
   */
  hold(): void {
    this.#held = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Lets held notifications go out again, paced as usual. */
  resume(): void {
    if (!this.#held) return;
    this.#held = false;
    if (this.#open && (this.#queue !== undefined || this.#dropped > 0)) this.#schedule();
  }

  notify(event: string, data?: unknown): void {
    if (!this.#open || this.subject === null) return;
    // Dropping goes on until the queue has drained, so the `dropped` notice marks one gap.
    if (this.#dropped > 0) {
      this.#dropped++;
      return;
    }
    let message = this.#notice(event, data ?? null);
    const limit = this.bus.maxPayload;
    if (limit !== undefined && message.byteLength > limit) {
      // Too large for NATS to carry: the Mind hears, at its place and under its number, that one
      // was dropped (an outside probe's 2.7 MB notification closed the Mind for the session's rest).
      this.#seq--;
      message = this.#notice("dropped", { count: 1 });
    }
    if (this.#queue === undefined && !this.#held && this.#take()) {
      this.#publish(message);
      return;
    }
    if (this.queued >= this.#limits.maxQueued || this.#queuedBytes + message.byteLength > this.#limits.maxQueuedBytes) {
      this.#dropped = 1;
      // Not sent: its number goes to the next message, so `seq` has gaps only where the wire lost some.
      this.#seq--;
      // Even with nothing queued (one message over the byte budget) the notice must come.
      this.#schedule();
      return;
    }
    (this.#queue ??= []).push(message);
    this.#queuedBytes += message.byteLength;
    this.#schedule();
  }

  /** The `seq` of the last notification numbered, published or queued (0 before the first). */
  get lastSeq(): number {
    return this.#seq;
  }

  /**
   * Publishes what is still queued (at once), the `dropped` notice if any, then the session's last
   * message, numbered after `lastSeq`: this Mind's own last number by default; for a session whose
   * notifications another process published (a realm service), its last number, or `null` when
   * it is not known, and `ended` then carries no `seq`.
   */
  end(reason: EndReason, lastSeq?: number | null): void {
    if (this.#open && this.subject !== null) {
      this.#flush(true);
      // Read after the flush, which may have numbered a `dropped` notice.
      const last = lastSeq === undefined ? this.#seq : lastSeq;
      const ended = encode(last === null ? { session: this.session, type: "ended", reason } : { session: this.session, type: "ended", reason, seq: last + 1 });
      this.#publish(ended);
      this.outageEndings?.published(this.subject, ended);
    }
    this.close();
  }

  /** Publishes what is still queued (at once, held or not) and the `dropped` notice if any. */
  flush(): void {
    if (this.#open && this.subject !== null) this.#flush(true);
  }

  /** `flush`, then `close`: for a session whose `ended` someone else publishes next. */
  flushAndClose(): void {
    this.flush();
    this.close();
  }

  /** Drops whatever is queued; nothing more is published. */
  close(): void {
    this.#open = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue = undefined;
    this.#queuedBytes = 0;
    this.#dropped = 0;
  }

  #take(): boolean {
    const now = performance.now();
    const { ratePerSecond, burst } = this.#limits;
    this.#tokens = Math.min(burst, this.#tokens + ((now - this.#refilledAt) * ratePerSecond) / 1000);
    this.#refilledAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#held) return;
    const waitMs = Math.max(1, Math.ceil(((1 - this.#tokens) * 1000) / this.#limits.ratePerSecond));
    // A closure only while behind: a method kept as a field would cost every session one.
    this.#timer = setTimeout(() => this.#drain(), waitMs);
    // Pacing must not keep a process alive on its own.
    this.#timer.unref();
  }

  #drain(): void {
    this.#timer = undefined;
    if (!this.#open) return;
    this.#flush(false);
    if (this.#queue !== undefined || this.#dropped > 0) this.#schedule();
  }

  /** Publishes queued messages while tokens last (or `all` of them), then the `dropped` notice once drained. */
  #flush(all: boolean): void {
    const queue = this.#queue;
    if (queue !== undefined) {
      while (this.#head < queue.length && (all || this.#take())) {
        const message = queue[this.#head]!;
        queue[this.#head++] = undefined!;
        this.#queuedBytes -= message.byteLength;
        this.#publish(message);
      }
      if (this.#head < queue.length) return;
      this.#queue = undefined;
      this.#head = 0;
    }
    if (this.#dropped > 0) {
      const count = this.#dropped;
      this.#dropped = 0;
      this.#publish(this.#notice("dropped", { count }));
    }
  }

  /** A `notify` message with the next `seq`. */
  #notice(event: string, data: unknown): Uint8Array {
    return encode({ session: this.session, type: "notify", event, data, seq: ++this.#seq });
  }

  #publish(message: Uint8Array): void {
    try {
      this.bus.publish(this.subject!, message);
    } catch (error) {
      // Only a `dropped` notice could be too large here (its `notify` was checked), and it is not.
      if (error instanceof PayloadTooLarge) return;
      // The bus is closed: nobody will hear this session again.
      this.close();
    }
  }
}
