/** The one pino logger of a process, with every secret-bearing field redacted. */
import { pino, type DestinationStream, type Logger as PinoLogger } from "pino";

/** Field names that may carry a secret wherever they appear (one or two levels deep). */
const SECRET_FIELDS = ["password", "token", "secret", "response", "hashed", "signature", "privateKey", "credentials"];

export const REDACTED_PATHS = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);

export interface LoggerOptions {
  readonly level?: string;
  /** Where lines go (default: stderr, so stdout stays the program's own output). */
  readonly destination?: DestinationStream;
  readonly name?: string;
}

/** Creates the process's logger; pass `logger.child(...)` down, never create another. */
export function createLogger(options: LoggerOptions = {}): PinoLogger {
  return pino(
    {
      name: options.name ?? "portcullis",
      level: options.level ?? process.env["LOG_LEVEL"] ?? "info",
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    },
    options.destination ?? pino.destination(2),
  );
}
