/** The service commands' options, each checked before anything is made or connected: a mistake is a usage error. */
import {
  InvalidAuthArgumentString,
  InvalidAuthType,
  KeyFileError,
  makeChecker,
  MAX_HEARTBEAT_MS,
  parseAuthDescription,
  subjectsFor,
  tokenAuthorityFromFile,
  UnsupportedKinds,
  type Checker,
  type Logger,
  type TokenAuthority,
} from "../actors/index.ts";
import { AUTH_TYPES_HINT } from "./auth-help.ts";
import type { Values } from "./cli-usage.ts";
import { createLogger } from "./logger.ts";
import { replyPrefixesOption } from "./subject-prefix-options.ts";
import { UsageError } from "./usage-error.ts";

export function noArguments(args: string[]): void {
  if (args.length > 0) throw new UsageError(`unexpected argument: ${args[0]}`);
}

export function natsUrl(values: Values): string {
  const url = values.nats ?? process.env["NATS_URL"];
  if (!url) throw new UsageError("needs --nats URL (or NATS_URL)");
  return url;
}

export function heartbeat(values: Values): { heartbeatMs?: number } {
  const text = values["heartbeat-ms"];
  if (text === undefined) return {};
  const heartbeatMs = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  // Above the maximum, Node would fire the session timer at once and end every session.
  if (!(heartbeatMs >= 10 && heartbeatMs <= MAX_HEARTBEAT_MS)) {
    throw new UsageError(`--heartbeat-ms must be an integer from 10 to ${MAX_HEARTBEAT_MS}`);
  }
  return { heartbeatMs };
}

export function maxSessions(values: Values): { maxSessions?: number } {
  const text = values["max-sessions"];
  if (text === undefined) return {};
  const max = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!(max >= 1)) throw new UsageError("--max-sessions must be a positive integer");
  return { maxSessions: max };
}

export function prefix(values: Values): { prefix?: string } {
  if (values.prefix === undefined) return {};
  try {
    subjectsFor(values.prefix);
  } catch (error) {
    throw new UsageError(`--prefix: ${(error as Error).message} (dot-separated letters, digits, - and _)`);
  }
  return { prefix: values.prefix };
}

/** A service name (`--name`, `--realm`): one subject token, checked before connecting. */
export function serviceName(option: string, name: string): string {
  try {
    subjectsFor().checker(name);
  } catch (error) {
    throw new UsageError(`--${option}: ${(error as Error).message} (letters, digits, - and _)`);
  }
  return name;
}

/** Makes every --auth checker before touching the network, turning strcred errors into usage errors. */
export async function checkers(values: Values, required: boolean, log: Logger): Promise<{ descriptions: string[]; checkers: Checker[] }> {
  const descriptions = values.auth ?? [];
  if (required && descriptions.length === 0) throw new UsageError("needs at least one --auth TYPE:ARGS");
  const made: Checker[] = [];
  for (const description of descriptions) {
    const { authType, argstring } = parseAuthDescription(description);
    try {
      made.push(await makeChecker(description, { logger: log.child({ auth: authType }) }));
    } catch (error) {
      if (error instanceof InvalidAuthType) throw new UsageError(`Auth plugin not recognized: ${error.authType}`, AUTH_TYPES_HINT);
      if (error instanceof InvalidAuthArgumentString) throw new UsageError(`Invalid --auth argstring: ${error.message}`, `portcullis --help-auth-type ${authType} gives its format`);
      // Twisted's opt_auth words. The kinds come from the plugin's checker: masked all the same.
      if (error instanceof UnsupportedKinds) throw new UsageError(`Auth plugin not supported: ${authType} (${maskArgstring(error.message, argstring)})`);
      // A plugin's own error: its text may quote the argstring, which may hold passwords.
      const message = error instanceof Error ? error.message : String(error);
      throw new UsageError(`--auth ${authType}: ${maskArgstring(message, argstring)}`);
    }
  }
  return { descriptions, checkers: made };
}

/** `message` without the argstring or any piece of it (`host=db:pw=secret` → `…`): pieces may be passwords. */
function maskArgstring(message: string, argstring: string): string {
  const pieces = [argstring, ...argstring.split(/[:=,;]/)].filter((piece) => piece.length >= 3).sort((a, b) => b.length - a.length);
  return pieces.reduce((text, piece) => text.split(piece).join("…"), message);
}

/** `--tokens ALG:PATH`: the portal signs session tokens and accepts them. */
export async function tokens(values: Values): Promise<{ tokens?: TokenAuthority }> {
  const spec = values.tokens;
  if (spec === undefined) return {};
  try {
    return { tokens: await tokenAuthorityFromFile(spec, "sign") };
  } catch (error) {
    if (error instanceof KeyFileError) throw new UsageError(`--tokens: ${error.message}`);
    throw error;
  }
}

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

/** What every service command checks first, before making anything or connecting. */
export function common(values: Values) {
  const url = natsUrl(values);
  const log = logger(values);
  const prefixOption = prefix(values);
  return { url, log, prefixOption, replyOption: replyPrefixesOption(values["reply-prefix"], values.prefix ?? "cred") };
}

/** The command's logger; `defaultLevel` when neither --log-level nor LOG_LEVEL says. */
export function logger(values: Values, defaultLevel = "info") {
  const level = values["log-level"] ?? process.env["LOG_LEVEL"] ?? defaultLevel;
  if (!LOG_LEVELS.includes(level)) {
    const from = values["log-level"] === undefined ? "LOG_LEVEL" : "--log-level";
    throw new UsageError(`${from} must be one of ${LOG_LEVELS.join(", ")}, not ${JSON.stringify(level)}`);
  }
  return createLogger({ level });
}
