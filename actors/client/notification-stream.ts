/** One `for await` reader of a session's notifications: buffered in order, bounded, ending with the session. */
import type { Notification } from "./remote-session.ts";

/** How many notifications wait for a slow reader before newer ones are dropped (and counted). */
export const DEFAULT_STREAM_BUFFER = 10_000;

/**
 * An async iterator fed by `push` and finished by `end`. A reader that falls more than
 * `limit` behind loses the newest notifications; once it has caught up it reads
 * `{ event: "dropped", data: { count } }`, as a Mind does from the server.
 */
export class NotificationStream implements AsyncIterableIterator<Notification> {
  #buffer: Notification[] = [];
  #waiting: ((result: IteratorResult<Notification>) => void) | undefined;
  #done = false;
  #dropped = 0;

  constructor(private readonly onReturn: (stream: NotificationStream) => void, private readonly limit = DEFAULT_STREAM_BUFFER) {}

  push(notification: Notification): void {
    if (this.#done) return;
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      this.#waiting = undefined;
      waiting({ value: notification, done: false });
    } else if (this.#dropped > 0 || this.#buffer.length >= this.limit) {
      this.#dropped++;
    } else {
      this.#buffer.push(notification);
    }
  }

  /** No more notifications: the reader finishes what is buffered, then the loop ends. */
  end(): void {
    this.#done = true;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<Notification>> {
    const next = this.#buffer.shift();
    if (next !== undefined) return Promise.resolve({ value: next, done: false });
    if (this.#dropped > 0) {
      const count = this.#dropped;
      this.#dropped = 0;
      return Promise.resolve({ value: { event: "dropped", data: { count } }, done: false });
    }
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.#waiting = resolve));
  }

  /** The reader left the loop: stop buffering for it. */
  return(): Promise<IteratorResult<Notification>> {
    this.#buffer = [];
    this.#dropped = 0;
    this.end();
    this.onReturn(this);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
