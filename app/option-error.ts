/** Node's parseArgs errors as our one-line usage errors: its own run to three lines, or end in an unclosed quote. */
import { UsageError } from "./usage-error.ts";

/** The `UsageError` for what `parseArgs` threw; anything but a parseArgs error passes through. */
export function optionError(error: unknown): unknown {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== "string" || !code.startsWith("ERR_PARSE_ARGS_") || typeof message !== "string") return error;
  const option = /^(?:Unknown option|Option) '(?:-\w, )?([^' ]+)/.exec(message)?.[1] ?? "";
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return new UsageError(`unknown option ${option}`);
  if (message.includes("argument missing")) return new UsageError(`${option} needs a value`);
  // `--auth -x`: parseArgs will not take a value that looks like an option unless joined by `=`.
  if (message.includes("ambiguous")) return new UsageError(`${option} needs a value (one starting with - is written ${option}=-…)`);
  if (message.includes("does not take an argument")) return new UsageError(`${option} takes no value`);
  return new UsageError(message.split("\n")[0]!);
}
