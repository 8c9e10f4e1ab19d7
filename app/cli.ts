/** The `portcullis` command. */
import { parseArgs } from "node:util";
import { InvalidAuthArgumentString, InvalidAuthType } from "../actors/index.ts";
import { helpAuth, helpAuthType } from "./auth-help.ts";
import { connectBus } from "./connect-bus.ts";
import { createLogger } from "./logger.ts";
import { serve } from "./serve.ts";
import { UsageError } from "./usage-error.ts";

const USAGE = `Usage: portcullis [--help-auth] [--help-auth-type TYPE] COMMAND [options]

Commands:
  serve    Run a portal, its checkers and the echo realm as NATS services until SIGTERM.
           --nats URL          NATS server(s), comma-separated (default: $NATS_URL)
           --auth TYPE:ARGS    a checker, repeatable (see --help-auth); e.g. memory:alice:pw
           --prefix P          subject prefix (default: cred)
           --heartbeat-ms N    heartbeat interval announced to clients (default: 15000)
           --log-level LEVEL   pino level (default: $LOG_LEVEL or info); logs go to stderr
`;

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  "help-auth": { type: "boolean" },
  "help-auth-type": { type: "string" },
  nats: { type: "string" },
  auth: { type: "string", multiple: true },
  prefix: { type: "string" },
  "heartbeat-ms": { type: "string" },
  "log-level": { type: "string" },
} as const;

/** Runs the command line; resolves to the exit status (serve resolves when it has stopped). */
export async function main(argv: readonly string[], out = process.stdout, err = process.stderr): Promise<number> {
  try {
    return await run(argv, (text) => out.write(text));
  } catch (error) {
    if (error instanceof UsageError) {
      err.write(`portcullis: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

async function run(argv: readonly string[], print: (text: string) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return (print(USAGE), 0);
  if (values["help-auth"]) return (print(helpAuth()), 0);
  if (values["help-auth-type"] !== undefined) return (print(helpAuthType(values["help-auth-type"])), 0);
  const [command, ...rest] = positionals;
  if (command === undefined) throw new UsageError("a command is required");
  if (rest.length > 0) throw new UsageError(`unexpected argument: ${rest[0]}`);
  if (command !== "serve") throw new UsageError(`unknown command: ${command}`);
  return runServe(values, print);
}

async function runServe(values: Record<string, unknown>, print: (text: string) => void): Promise<number> {
  const natsUrl = (values["nats"] as string | undefined) ?? process.env["NATS_URL"];
  if (!natsUrl) throw new UsageError("serve needs --nats URL (or NATS_URL)");
  const auth = (values["auth"] as string[] | undefined) ?? [];
  if (auth.length === 0) throw new UsageError("serve needs at least one --auth TYPE:ARGS");
  const heartbeatText = values["heartbeat-ms"] as string | undefined;
  const heartbeatMs = heartbeatText === undefined ? undefined : Number(heartbeatText);
  if (heartbeatMs !== undefined && !(Number.isInteger(heartbeatMs) && heartbeatMs >= 10)) {
    throw new UsageError("--heartbeat-ms must be an integer ≥ 10");
  }
  const prefix = values["prefix"] as string | undefined;
  const logger = createLogger({ level: (values["log-level"] as string | undefined) ?? process.env["LOG_LEVEL"] ?? "info" });
  let server;
  try {
    // Validate every --auth before touching the network.
    const { makeChecker } = await import("../actors/index.ts");
    for (const description of auth) await makeChecker(description);
  } catch (error) {
    if (error instanceof InvalidAuthType) throw new UsageError(`Auth plugin not recognized: ${error.authType}`);
    if (error instanceof InvalidAuthArgumentString) throw new UsageError(`Invalid --auth argstring: ${error.message}`);
    throw error;
  }
  const { bus } = await connectBus(natsUrl, "portcullis-serve");
  try {
    server = await serve(bus, {
      auth,
      logger,
      ...(prefix === undefined ? {} : { prefix }),
      ...(heartbeatMs === undefined ? {} : { heartbeatMs }),
    });
  } catch (error) {
    await bus.close();
    if (error instanceof TypeError) throw new UsageError(error.message);
    throw error;
  }
  print(`portcullis serve: ready (prefix ${prefix ?? "cred"}, checkers ${server.checkerNames.join(", ")}, realm echo)\n`);
  const signal = await new Promise<NodeJS.Signals | "closed">((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
    void bus.closed.then(() => resolve("closed"));
  });
  logger.info({ signal }, "stopping: ending sessions and draining");
  await server.close();
  await bus.drain().catch(() => undefined);
  logger.flush();
  return signal === "closed" ? 1 : 0;
}
