/** A session's logger, made only when the session first logs. */
import type { Logger } from "../logger.ts";

/**
 * `logger.child({ session })`, made on first use: most sessions never log more than their end,
 * and a pino child per live session costs a few hundred bytes (one process holds ~100k).
 */
export class SessionLogger implements Logger {
  #child: Logger | undefined;

  constructor(private readonly parent: Logger, private readonly session: string) {}

  get #log(): Logger {
    return (this.#child ??= this.parent.child({ session: this.session }));
  }

  debug(object: Record<string, unknown>, message?: string): void {
    this.#log.debug(object, message);
  }
  info(object: Record<string, unknown>, message?: string): void {
    this.#log.info(object, message);
  }
  warn(object: Record<string, unknown>, message?: string): void {
    this.#log.warn(object, message);
  }
  error(object: Record<string, unknown>, message?: string): void {
    this.#log.error(object, message);
  }
  child(bindings: Record<string, unknown>): Logger {
    return this.#log.child(bindings);
  }
}
