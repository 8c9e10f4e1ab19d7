/** Which options each service command takes: one that a command would silently ignore is a usage error instead. */
import { UsageError } from "./usage-error.ts";

/** Taken by every command: the help flags, plugins, where to connect, the subject prefix, the log level. */
const COMMON: readonly string[] = ["help", "help-auth", "help-auth-type", "plugin", "nats", "prefix", "log-level"];

/** Each command's own options, as --help describes them. */
const OWN: Readonly<Record<string, readonly string[]>> = {
  serve: ["auth", "heartbeat-ms", "max-sessions", "mind-prefix", "reply-prefix", "rate-limit", "tokens"],
  checker: ["auth", "name", "reply-prefix"],
  portal: ["auth", "realm", "heartbeat-ms", "max-sessions", "mind-prefix", "reply-prefix", "rate-limit", "tokens"],
  realm: ["name", "reply-prefix"],
  revoke: [],
};

/** Throws `UsageError` naming the first of `given` that `command` does not take, and the commands that do. */
export function refuseForeignOptions(command: string, given: readonly string[]): void {
  const own = OWN[command] ?? [];
  const foreign = given.find((option) => !COMMON.includes(option) && !own.includes(option));
  if (foreign === undefined) return;
  const takers = Object.keys(OWN).filter((other) => OWN[other]!.includes(foreign));
  const names = takers.length < 2 ? takers.join("") : `${takers.slice(0, -1).join(", ")} and ${takers.at(-1)}`;
  const hint = takers.length === 0 ? "" : ` (${names} ${takers.length === 1 ? "takes" : "take"} it)`;
  throw new UsageError(`--${foreign} is not an option of ${command}${hint}`);
}
