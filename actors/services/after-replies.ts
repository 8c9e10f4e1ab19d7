/**
 * Work that waits until this turn's replies have left: a login's log line. pino writes each line
 * with a syscall of its own, about 10 µs on this VM, and before its reply that was 10 µs of every
 * login's latency (`portcullis serve` logs every login). A crash loses at most this turn's lines.
 */
export class AfterReplies {
  #queue: Array<() => void> = [];
  #scheduled = false;
  readonly #flush = (): void => {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    for (const task of queue) task();
  };

  /** Runs `task` at the end of this turn (setImmediate), after every reply sent in it, in order. */
  run(task: () => void): void {
    this.#queue.push(task);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }
}
