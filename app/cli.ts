/** The `portcullis` command: serve, checker, portal, realm, revoke and hash, and the strcred help flags. */
import { parseArgs } from "node:util";
import { RemoteRealm, serveChecker, servePortal, serveRealm, type CheckerService } from "../actors/index.ts";
import { helpAuth, helpAuthType } from "./auth-help.ts";
import { OPTIONS, USAGE, type Values } from "./cli-usage.ts";
import { hashCommand } from "./hash-command.ts";
import { refuseForeignOptions } from "./command-options.ts";
import { connectBus } from "./connect-bus.ts";
import type { Bus } from "../transports/index.ts";
import { loadPlugins } from "./load-plugins.ts";
import { loadRealm } from "./load-realm.ts";
import { optionError } from "./option-error.ts";
import { parseRateLimit, rateLimiterFor } from "./rate-limiter.ts";
import { runUntilSignal } from "./run-until-signal.ts";
import { revocationOf, revoke } from "./revoke-command.ts";
import { serve, serviceNames } from "./serve.ts";
import { checkers, common, heartbeat, logger, maxSessions, natsUrl, noArguments, serviceName, tokens } from "./service-options.ts";
import { StartupError } from "./startup-error.ts";
import { mindPrefixesOption } from "./subject-prefix-options.ts";
import { UsageError } from "./usage-error.ts";

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
  // A one-shot command: its result line is what its user reads, not the connection's progress.
  const log = logger(values, "warn");
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
