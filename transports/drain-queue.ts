/**
 * At most so many subscription drains in flight on one connection.
 *
 * nats.js drains a subscription with `UNSUB` and a `PING`, and matches each `PONG` to its
 * waiter with `Array.prototype.shift()`, which costs O(pings outstanding) once the array is large:
 * a portal closing with 83,000 sessions (each one's drain at once) spent 2.5 s of CPU in that
 * shift alone, and the cost grows with the square of the sessions. Past the limit, drains wait
 * their turn, in order; each still delivers what was routed to it before the server took its `UNSUB`.
 */
export const MAX_DRAINS_IN_FLIGHT = 256;

export class DrainQueue {
  #inFlight = 0;
  /** Drains waiting for a slot; `#head` is the next (a plain array shift would be O(n) too). */
  #waiting: Array<(() => void) | undefined> = [];
  #head = 0;
  #idle: Array<() => void> = [];

  constructor(readonly limit: number = MAX_DRAINS_IN_FLIGHT) {}

  /** Runs `drain` now if a slot is free, else once one is; resolves when it has run, never rejects. */
  run(drain: () => Promise<void>): Promise<void> {
    return new Promise((resolve) => {
      const start = (): void => {
        this.#inFlight++;
        let draining: Promise<void>;
        try {
          draining = drain();
        } catch (error) {
          draining = Promise.reject(error);
        }
        draining
          .catch(() => undefined)
          .then(() => {
            this.#inFlight--;
            resolve();
            this.#next();
            if (this.pending === 0) for (const waiter of this.#idle.splice(0)) waiter();
          });
      };
      if (this.#inFlight < this.limit) start();
      else this.#waiting.push(start);
    });
  }

  /** Drains running or waiting. */
  get pending(): number {
    return this.#inFlight + this.#waiting.length - this.#head;
  }

  /** Resolves once no drain is running or waiting (at once when none is). */
  idle(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.#idle.push(resolve));
  }

  #next(): void {
    if (this.#head === this.#waiting.length) return;
    const start = this.#waiting[this.#head]!;
    this.#waiting[this.#head++] = undefined;
    if (this.#head === this.#waiting.length) {
      this.#waiting = [];
      this.#head = 0;
    }
    start();
  }
}
