/** The `portcullis` command: serve, checker, portal, realm, and the strcred help flags. */
import { parseArgs } from "node:util";
import {
  InvalidAuthArgumentString,
  InvalidAuthType,
  KeyFileError,
  makeChecker,
  MAX_HEARTBEAT_MS,
  parseAuthDescription,
  RemoteRealm,
  serveChecker,
  servePortal,
  serveRealm,
  subjectsFor,
  tokenAuthorityFromFile,
  UnsupportedKinds,
  type Checker,
  type CheckerService,
  type Logger,
  type TokenAuthority,
} from "../actors/index.ts";
import { AUTH_TYPES_HINT, helpAuth, helpAuthType } from "./auth-help.ts";
import { hashCommand } from "./hash-command.ts";
import { refuseForeignOptions } from "./command-options.ts";
import { connectBus } from "./connect-bus.ts";
import type { Bus } from "../transports/index.ts";
import { loadPlugins } from "./load-plugins.ts";
import { loadRealm } from "./load-realm.ts";
import { optionError } from "./option-error.ts";
import { createLogger } from "./logger.ts";
import { parseRateLimit, rateLimiterFor } from "./rate-limiter.ts";
import { runUntilSignal } from "./run-until-signal.ts";
import { revocationOf, revoke } from "./revoke-command.ts";
import { serve, serviceNames } from "./serve.ts";
import { StartupError } from "./startup-error.ts";
import { mindPrefixesOption, replyPrefixesOption } from "./subject-prefix-options.ts";
import { UsageError } from "./usage-error.ts";

const USAGE = `Usage: portcullis [--plugin PKG] [--help-auth] [--help-auth-type TYPE] COMMAND [options]

Commands:
  serve            a portal, its checkers and the echo realm in one process
  checker          checkers only, each a P.checker.NAME service (announced, discoverable)
  portal           a portal using a realm service (--realm NAME), every announced checker, and
                   any --auth checkers of its own (checked in its process, not served to others)
  hash [USERNAME]  prints a password-file line USERNAME:HASH (argon2id; --algorithm scrypt|bcrypt),
                   reading the password without echo
  realm MODULE     serves the Realm a module exports (default export or \`realm\`); MODULE
                   "echo" is the built-in echo realm
  revoke           revokes the session token read from standard input at every portal and
                   token checker on the bus (whatever their prefix), ending its sessions

Options:
  --nats URL          NATS server(s), comma-separated (default: $NATS_URL); credentials as
                      nats://USER:PASS@host or nats://TOKEN@host (never shown in messages;
                      prefer $NATS_URL, which other users cannot read with ps)
  --auth TYPE:ARGS    serve/checker (at least one), portal (optional): a checker, repeatable
                      (see --help-auth); e.g. memory:alice:pw
  --name NAME         service name for checker (one --auth; default: its auth type) or realm
                      (default: echo, the name portal's --realm defaults to)
  --realm NAME        portal: the realm service to use (default: echo)
  --prefix P          subject prefix (default: cred)
  --heartbeat-ms N    serve/portal: heartbeat announced to clients (default: 15000)
  --max-sessions N    serve/portal: live sessions the portal holds at most; past it logins get
                      LoginFailed (default: 200000)
  --mind-prefix P     serve/portal: a subject prefix clients may name as their Mind, repeatable
                      (default: inboxes only, _INBOX.… and _INBOX_<user>.…)
  --reply-prefix P    serve/checker/portal/realm: answer requests whose reply subject is under P
                      too, repeatable: for clients whose inboxes have a prefix of their own
                      (default: inboxes only; other requests are dropped, with a warning)
  --rate-limit N|off  serve/portal: refusals per account before backoff (default 5; shared
                      through JetStream KV over NATS), or off
  --tokens ALG:PATH   serve/portal: issue session tokens (a login with "issueToken": true) and
                      accept token credentials; HS256:PATH (a shared secret, >= 32 bytes) or
                      EdDSA:PATH (an Ed25519 private key, PEM PKCS#8); tokens last 1 hour
  --log-level LEVEL   trace|debug|info|warn|error|fatal|silent (default: $LOG_LEVEL or info);
                      logs go to stderr
  --plugin PKG        load checker factories from an npm package or path, repeatable
                      (also: $PORTCULLIS_PLUGINS, comma-separated)
`;

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  "help-auth": { type: "boolean" },
  "help-auth-type": { type: "string" },
  plugin: { type: "string", multiple: true },
  nats: { type: "string" },
  auth: { type: "string", multiple: true },
  name: { type: "string" },
  realm: { type: "string" },
  prefix: { type: "string" },
  "heartbeat-ms": { type: "string" },
  "max-sessions": { type: "string" },
  "mind-prefix": { type: "string", multiple: true },
  "reply-prefix": { type: "string", multiple: true },
  "log-level": { type: "string" },
  "rate-limit": { type: "string" },
  tokens: { type: "string" },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];
type Print = (text: string) => void;

/** Runs the command line; resolves to the exit status (services resolve when they have stopped). */
export async function main(argv: readonly string[], out = process.stdout, err = process.stderr): Promise<number> {
  try {
    return await run(argv, (text) => void out.write(text));
  } catch (error) {
    if (error instanceof UsageError) {
      // The error alone, as git does: a page of usage would push it off the screen.
      const command = argv[0] === "hash" ? "portcullis hash" : "portcullis";
      err.write(`${command}: ${error.message}\n(${error.seeAlso ?? `${command} --help lists the options`})\n`);
      return 2;
    }
    if (error instanceof StartupError) {
      err.write(`portcullis: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

async function run(argv: readonly string[], print: Print): Promise<number> {
  // `hash` has options of its own (and reads a password), so it takes the rest of the line;
  // the --help-auth family, which works on every subcommand, is answered below.
  const asksHelpAuth = (arg: string) => arg === "--help-auth" || arg === "--help-auth-type" || arg.startsWith("--help-auth-type=");
  if (argv[0] === "hash" && !argv.some(asksHelpAuth)) {
    return hashCommand(argv.slice(1), { stdin: process.stdin, stdout: { write: print }, stderr: process.stderr });
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw optionError(error);
  }
  const { values, positionals } = parsed;
  // Plugins come from the command line and from the environment (deployment configuration).
  const fromEnv = (process.env["PORTCULLIS_PLUGINS"] ?? "").split(",").map((p) => p.trim()).filter(Boolean);
  await loadPlugins([...fromEnv, ...(values.plugin ?? [])]);
  // Twisted's --help-auth family works on every subcommand, so these come first.
  if (values.help) return (print(USAGE), 0);
  if (values["help-auth"]) return (print(helpAuth()), 0);
  if (values["help-auth-type"] !== undefined) return (print(helpAuthType(values["help-auth-type"])), 0);
  const [command, ...rest] = positionals;
  if (command === undefined) throw new UsageError("a command is required");
  const commands: Record<string, (v: Values, args: string[], p: Print) => Promise<number>> = {
    serve: runServe,
    checker: runChecker,
    portal: runPortal,
    realm: runRealm,
    revoke: runRevoke,
  };
  const handler = commands[command];
  if (!handler) throw new UsageError(`unknown command: ${command}`);
  // An option the command would ignore (`checker --realm echo`) is a mistake to say, not to skip.
  refuseForeignOptions(command, Object.keys(values));
  return handler(values, rest, print);
}

function noArguments(args: string[]): void {
  if (args.length > 0) throw new UsageError(`unexpected argument: ${args[0]}`);
}

function natsUrl(values: Values): string {
  const url = values.nats ?? process.env["NATS_URL"];
  if (!url) throw new UsageError("needs --nats URL (or NATS_URL)");
  return url;
}

function heartbeat(values: Values): { heartbeatMs?: number } {
  const text = values["heartbeat-ms"];
  if (text === undefined) return {};
  const heartbeatMs = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  // Above the maximum, Node would fire the session timer at once and end every session.
  if (!(heartbeatMs >= 10 && heartbeatMs <= MAX_HEARTBEAT_MS)) {
    throw new UsageError(`--heartbeat-ms must be an integer from 10 to ${MAX_HEARTBEAT_MS}`);
  }
  return { heartbeatMs };
}

function maxSessions(values: Values): { maxSessions?: number } {
  const text = values["max-sessions"];
  if (text === undefined) return {};
  const max = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!(max >= 1)) throw new UsageError("--max-sessions must be a positive integer");
  return { maxSessions: max };
}

function prefix(values: Values): { prefix?: string } {
  if (values.prefix === undefined) return {};
  try {
    subjectsFor(values.prefix);
  } catch (error) {
    throw new UsageError(`--prefix: ${(error as Error).message} (dot-separated letters, digits, - and _)`);
  }
  return { prefix: values.prefix };
}

/** A service name (`--name`, `--realm`): one subject token, checked before connecting. */
function serviceName(option: string, name: string): string {
  try {
    subjectsFor().checker(name);
  } catch (error) {
    throw new UsageError(`--${option}: ${(error as Error).message} (letters, digits, - and _)`);
  }
  return name;
}

/** Makes every --auth checker before touching the network, turning strcred errors into usage errors. */
async function checkers(values: Values, required: boolean, log: Logger): Promise<{ descriptions: string[]; checkers: Checker[] }> {
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
async function tokens(values: Values): Promise<{ tokens?: TokenAuthority }> {
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
function common(values: Values) {
  const url = natsUrl(values);
  const log = logger(values);
  const prefixOption = prefix(values);
  return { url, log, prefixOption, replyOption: replyPrefixesOption(values["reply-prefix"], values.prefix ?? "cred") };
}

function logger(values: Values) {
  const level = values["log-level"] ?? process.env["LOG_LEVEL"] ?? "info";
  if (!LOG_LEVELS.includes(level)) {
    const from = values["log-level"] === undefined ? "LOG_LEVEL" : "--log-level";
    throw new UsageError(`${from} must be one of ${LOG_LEVELS.join(", ")}, not ${JSON.stringify(level)}`);
  }
  return createLogger({ level });
}

async function runServe(values: Values, args: string[], print: Print): Promise<number> {
  noArguments(args);
  const { url, log, prefixOption, replyOption } = common(values);
  const { descriptions, checkers: made } = await checkers(values, true, log);
  const heartbeatOption = heartbeat(values);
  const maxSessionsOption = maxSessions(values);
  const mindOption = mindPrefixesOption(values["mind-prefix"], values.prefix ?? "cred");
  const rateLimit = parseRateLimit(values["rate-limit"]);
  const tokenOption = await tokens(values);
  const { bus, kind, startup } = await connectBus(url, "portcullis-serve", log, replyOption);
  const server = await startup.start(bus, async () => {
    const rateLimiter = await rateLimiterFor(bus, kind, rateLimit, values.prefix, (message) => log.warn(message));
    return serve(bus, { auth: descriptions, checkers: made, logger: log, rateLimiter, ...prefixOption, ...heartbeatOption, ...mindOption, ...tokenOption, ...maxSessionsOption });
  });
  print(`portcullis serve: ready (prefix ${values.prefix ?? "cred"}, checkers ${server.checkerNames.join(", ")}, realm echo)\n`);
  return runUntilSignal(bus, log, () => server.close());
}

async function runChecker(values: Values, args: string[], print: Print): Promise<number> {
  noArguments(args);
  const { url, log, prefixOption, replyOption } = common(values);
  const { descriptions, checkers: made } = await checkers(values, true, log);
  if (values.name !== undefined && made.length !== 1) throw new UsageError("--name needs exactly one --auth");
  const names = values.name !== undefined ? [serviceName("name", values.name)] : serviceNames(descriptions);
  const { bus, startup } = await connectBus(url, "portcullis-checker", log, replyOption);
  const services = await startup.start(bus, async () => {
    const started: CheckerService[] = [];
    for (const [i, checker] of made.entries()) {
      started.push(await serveChecker(bus, checker, { name: names[i]!, logger: log, ...prefixOption }));
    }
    return started;
  });
  print(`portcullis checker: ready (${names.join(", ")})\n`);
  return runUntilSignal(bus, log, async () => {
    for (const service of services) await service.stop();
  });
}

async function runPortal(values: Values, args: string[], print: Print): Promise<number> {
  noArguments(args);
  const { url, log, prefixOption, replyOption } = common(values);
  const { checkers: made } = await checkers(values, false, log);
  const heartbeatOption = heartbeat(values);
  const maxSessionsOption = maxSessions(values);
  const mindOption = mindPrefixesOption(values["mind-prefix"], values.prefix ?? "cred");
  const realmName = serviceName("realm", values.realm ?? "echo");
  const rateLimit = parseRateLimit(values["rate-limit"]);
  const tokenOption = await tokens(values);
  const { bus, kind, startup } = await connectBus(url, "portcullis-portal", log, replyOption);
  const portal = await startup.start(bus, async () => {
    const rateLimiter = await rateLimiterFor(bus, kind, rateLimit, values.prefix, (message) => log.warn(message));
    return servePortal(bus, {
      ...tokenOption,
      rateLimiter,
      realm: new RemoteRealm(bus, realmName, prefixOption),
      checkers: made,
      logger: log,
      ...prefixOption,
      ...heartbeatOption,
      ...maxSessionsOption,
      ...mindOption,
    });
  });
  print(`portcullis portal: ready (realm ${realmName}, kinds ${portal.portal.listCredentialsKinds().join(", ") || "none yet"})\n`);
  return runUntilSignal(bus, log, () => portal.close());
}

async function runRealm(values: Values, args: string[], print: Print): Promise<number> {
  const [module, ...rest] = args;
  if (module === undefined) throw new UsageError("realm needs a MODULE");
  noArguments(rest);
  const { url, log, prefixOption, replyOption } = common(values);
  // `echo` whatever the module: the name `portal` looks for by default, so the two meet unconfigured.
  const name = serviceName("name", values.name ?? "echo");
  const realm = await loadRealm(module);
  const { bus, startup } = await connectBus(url, "portcullis-realm", log, replyOption);
  const service = await startup.start(bus, () => serveRealm(bus, realm, { name, logger: log, ...prefixOption }));
  print(`portcullis realm: ready (${name})\n`);
  return runUntilSignal(bus, log, () => service.stop());
}

async function runRevoke(values: Values, args: string[], print: Print): Promise<number> {
  // Not echoed as other commands' stray arguments are: it is most likely the token itself.
  if (args.length > 0) throw new UsageError("revoke takes no argument: it reads the token from standard input (a command line is visible to every user through ps)");
  if (values.prefix !== undefined) throw new UsageError("--prefix is not an option of revoke: a revocation reaches every prefix");
  const url = natsUrl(values);
  const log = logger(values);
  // Read from standard input, never from the command line, where `ps` shows it to every user.
  if (process.stdin.isTTY) process.stderr.write("portcullis revoke: paste the token, then Ctrl-D\n");
  let text = "";
  for await (const chunk of process.stdin) text += String(chunk);
  const revocation = revocationOf(text.split(/\r?\n/).find((line) => line.trim() !== "") ?? "");
  const { bus } = await connectBus(url, "portcullis-revoke", log);
  try {
    const heard = await revoke(bus, revocation);
    if (heard === 0) throw new StartupError("nobody heard the revocation: no portal or token checker answered on this bus");
    print(`portcullis revoke: token ${revocation.jti.slice(0, 6)}… revoked until ${new Date(revocation.expiresAt).toISOString()}, heard by ${heard} service${heard === 1 ? "" : "s"} (portals and token checkers)\n`);
    return 0;
  } finally {
    await bus.close();
  }
}
