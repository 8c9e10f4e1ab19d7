/**
 * Notices when this process's event loop was held: SIGSTOP, a paused VM, a long synchronous task.
 * Messages that arrived meanwhile are handled on waking, as if they had just come, though they
 * may be many seconds old; what is decided from their age must ask this first.
 */
export class StallWatch {
  #last = performance.now();
  #stallNoticedAt = Number.NEGATIVE_INFINITY;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** `everyMs`: how often it looks; a gap of more than `stallMs` beyond that is a stall. */
  constructor(private readonly everyMs = 250, private readonly stallMs = 1_000) {}

  /** Starts looking (idempotent; the timer never keeps the process alive). */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#last = performance.now();
    this.#timer = setInterval(() => this.#look(), this.everyMs);
    this.#timer.unref?.();
  }

  /**
   * Whether a stall ended within `ms` before `at` (a `performance.now()` time), or after it: a
   * message handled at `at` may then have waited through it. Also true during a stall not
   * noticed yet (its timer has not run since the process woke).
   */
  stalledAround(at: number, ms: number): boolean {
    this.#look();
    return this.#stallNoticedAt >= at - ms;
  }

  #look(): void {
    const now = performance.now();
    if (this.#timer !== undefined && now - this.#last > this.everyMs + this.stallMs) this.#stallNoticedAt = now;
    this.#last = now;
  }
}

/** The process's own watch, shared by its portal sessions. */
export const processStallWatch = new StallWatch();
