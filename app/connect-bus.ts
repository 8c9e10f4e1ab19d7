/** Chooses the bus: NATS when a URL is given, the embedded in-process bus otherwise. */
import { connectNatsBus, createInProcessBus, ForbiddenReplySubject, type Bus, type HandlerErrorListener } from "../transports/index.ts";
import { parseNatsServers, redactNatsUrl, type NatsTarget } from "../transports/nats-url.ts";
import { redactIdentifiers } from "../transports/redact.ts";
import { describe } from "../actors/services/responder.ts";
import type { Logger } from "../actors/logger.ts";
import { StartupError } from "./startup-error.ts";
import { StartupWatch } from "./startup-watch.ts";
import { UsageError } from "./usage-error.ts";

/** What `--nats` names, and how it may be shown (transports/nats-url.ts; a mismatch is a usage error here). */
export function parseNatsUrl(natsUrl: string): NatsTarget {
  try {
    return parseNatsServers(natsUrl);
  } catch (error) {
    throw new UsageError(`--nats: ${(error as Error).message}`);
  }
}
export { redactNatsUrl, type NatsTarget };

/** A connected bus, and the watch its service's start must run under (`startup.start`). */
export interface ConnectedBus {
  readonly bus: Bus;
  readonly kind: "nats" | "in-process";
  readonly startup: StartupWatch;
}

/**
 * Connects to `natsUrl` (comma-separated servers allowed), or returns an in-process bus. With a
 * logger, a handler's failure (or a request refused for its reply subject) is one structured log
 * line per subscription, ids shortened, rather than a process warning on stderr. `replyPrefixes`:
 * reply subjects answered besides inboxes (NATS only; the in-process bus makes only inboxes).
 */
export async function connectBus(natsUrl: string | undefined, name: string, log?: Logger, { replyPrefixes }: { replyPrefixes?: readonly string[] } = {}): Promise<ConnectedBus> {
  const startup = new StartupWatch();
  const onHandlerError = log === undefined ? undefined : handlerErrorsTo(log, startup);
  if (natsUrl === undefined || natsUrl === "") return { bus: createInProcessBus(onHandlerError && { onHandlerError }), kind: "in-process", startup };
  const target = parseNatsUrl(natsUrl);
  // Said before trying: a server that never answers would otherwise leave the terminal silent.
  log?.info({ event: "nats-connecting", url: redactNatsUrl(natsUrl) }, `connecting to ${redactNatsUrl(natsUrl)}`);
  try {
    const bus = await connectNatsBus({ ...target, name, connectTimeoutMs: CONNECT_TIMEOUT_MS, ...(onHandlerError && { onHandlerError }), ...(replyPrefixes && { replyPrefixes }) });
    startup.watch(bus);
    return { bus, kind: "nats", startup };
  } catch (error) {
    // Refused, unreachable, bad credentials: the URL (never its credentials) and nats.js's reason.
    throw new StartupError(`cannot connect to NATS at ${redactNatsUrl(natsUrl)}: ${(error as Error).message}`);
  }
}

/**
 * How long connecting to each server may take (nats.js's `timeout`, per server: a list with one
 * server down still reaches the others). nats.js waits 20 s by default for a server's INFO, and
 * something that is not NATS (an HTTP server) never sends one.
 */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Logs each subscription's first handler failure (a client repeating one must not flood the log).
 * A subscription refused while starting is left to `startup`, which makes it the one line of the exit.
 */
function handlerErrorsTo(log: Logger, startup: StartupWatch): HandlerErrorListener {
  const reported = new WeakSet<object>();
  return (error, subscription) => {
    if (startup.claims(error) || reported.has(subscription)) return;
    reported.add(subscription);
    const subject = redactIdentifiers(subscription.subject);
    if (error instanceof ForbiddenReplySubject) {
      log.warn({ event: "forbidden-reply-subject", subject }, "a request asked for its reply on a subject services do not answer; dropped (later ones on this subscription are not logged)");
    } else {
      log.error({ event: "handler-failed", subject, error: describe(error) }, "a bus handler failed (later failures of this subscription are not logged)");
    }
  };
}
