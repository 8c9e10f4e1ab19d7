/** The logger the runtime is handed (pino's shape); actors never create one themselves. */

type LogFn = (object: Record<string, unknown>, message?: string) => void;

/** What actors need of a logger: pino's `Logger` satisfies it. */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

const noop = () => undefined;

/** Discards everything: the default when no logger is passed. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => silentLogger };
