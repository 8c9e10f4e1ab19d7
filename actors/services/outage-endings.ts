/**
 * The `ended` messages a portal published while its NATS connection was down, sent once more a
 * while after it is back. Core NATS delivers a message only to subscriptions the server has at
 * that moment: nats.js buffers what is published during an outage and flushes it on reconnect,
 * usually before the clients have resubscribed their Minds, so a session that timed out during
 * the outage lost its last message (an outside probe: 20 of 20). PROTOCOL.md makes `ended` the
 * last message of every session with a mind; a client treats a second one as a repeat.
 */
import type { Bus } from "../../transports/bus.ts";

/**
 * When, after the reconnect, they are sent again. Early for clients back with the portal (a
 * session that ended during a short outage must still tell its Mind within PROTOCOL.md's
 * 3 × heartbeatMs + 1 s: an outside probe saw a single resend at 2 s arrive past it), and again
 * for clients that take longer to resubscribe (nats.js waits 2 s between attempts by default).
 */
export const DEFAULT_RESEND_AFTER_MS: readonly number[] = [250, 2_000];

export interface OutageEndingsOptions {
  /** How long after the reconnect they are sent again, each delay one more copy; default 250 and 2000 ms. */
  readonly resendAfterMs?: readonly number[];
  /** At most this many are kept (the oldest go first); default 100,000. */
  readonly limit?: number;
}

export class OutageEndings {
  #connected = true;
  #pending: Array<{ readonly subject: string; readonly message: Uint8Array }> = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #stop: (() => void) | undefined;
  readonly #resendAfterMs: readonly number[];
  readonly #limit: number;

  constructor(private readonly bus: Bus, options: OutageEndingsOptions = {}) {
    this.#resendAfterMs = options.resendAfterMs ?? DEFAULT_RESEND_AFTER_MS;
    this.#limit = options.limit ?? 100_000;
    this.#stop = bus.onConnectionChange?.((connected) => this.#changed(connected));
  }

  /** An `ended` just published on `subject`: kept for a second try when the connection is down. */
  published(subject: string, message: Uint8Array): void {
    if (this.#connected) return;
    if (this.#pending.length >= this.#limit) this.#pending.shift();
    this.#pending.push({ subject, message });
  }

  close(): void {
    this.#stop?.();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#pending = [];
  }

  #changed(connected: boolean): void {
    this.#connected = connected;
    if (!connected || this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    for (const delay of this.#resendAfterMs) {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        for (const { subject, message } of batch) {
          try {
            this.bus.publish(subject, message);
          } catch {
            // Closed meanwhile: nobody will hear them.
            return;
          }
        }
      }, delay);
      timer.unref();
      this.#timers.add(timer);
    }
  }
}
