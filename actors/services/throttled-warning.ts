/** A warning that a flood (of garbage, of requests past a limit) must not turn into a flood of log lines. */
import type { Logger } from "../logger.ts";

/** How often one kind of warning is logged at most. */
const WARN_EVERY_MS = 10_000;

/**
 * A warning logged at most every 10 s, saying how many like it were not logged since (`omitted`);
 * the last of a burst is logged when its period ends, so a burst's count is never lost.
 */
export class ThrottledWarning {
  #lastAt = Number.NEGATIVE_INFINITY;
  #skipped = 0;
  #pending: { readonly fields: Record<string, unknown>; readonly message: string } | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** `logger`: asked at each line, for loggers made after this warning; `level`: what the lines are logged as. */
  constructor(
    private readonly logger: () => Logger,
    private readonly level: "warn" | "error" = "warn",
  ) {}

  note(fields: () => Record<string, unknown>, message: string): void {
    const now = performance.now();
    if (now - this.#lastAt < WARN_EVERY_MS) {
      this.#skipped++;
      this.#pending = { fields: fields(), message };
      this.#timer ??= setTimeout(() => this.#flush(), this.#lastAt + WARN_EVERY_MS - now);
      this.#timer.unref?.();
      return;
    }
    this.#log(fields(), message, now);
  }

  #flush(): void {
    this.#timer = undefined;
    const pending = this.#pending;
    if (pending === undefined) return;
    // The line logged is the last one left out: it does not count itself.
    this.#skipped--;
    this.#log(pending.fields, pending.message, performance.now());
  }

  #log(fields: Record<string, unknown>, message: string, now: number): void {
    this.logger()[this.level]({ ...fields, ...(this.#skipped > 0 && { omitted: this.#skipped }) }, message);
    this.#lastAt = now;
    this.#skipped = 0;
    this.#pending = undefined;
  }
}
