/** A pino logger from the app's own `createLogger`, writing its lines into an array. */
import { Writable } from "node:stream";
import { createLogger } from "../../app/logger.ts";

export function captureLogs(level = "debug") {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger({ level, destination: stream as never }) };
}
