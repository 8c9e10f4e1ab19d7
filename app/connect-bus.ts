/** Chooses the bus: NATS when a URL is given, the embedded in-process bus otherwise. */
import { connectNatsBus, createInProcessBus, ForbiddenReplySubject, type Bus, type HandlerErrorListener } from "../transports/index.ts";
import { redactIdentifiers } from "../transports/redact.ts";
import { describe } from "../actors/services/responder.ts";
import type { Logger } from "../actors/logger.ts";
import { StartupError } from "./startup-error.ts";
import { StartupWatch } from "./startup-watch.ts";
import { UsageError } from "./usage-error.ts";

/** What `--nats` names: the servers, and the credentials of their `user:pass@` or `token@` part. */
export interface NatsTarget {
  readonly servers: string[];
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
}

// Up to the last `@`: a generated password may hold `@`, `/`, `#` or `?` unencoded, and a host never does.
const URL_PARTS = /^(?<scheme>[A-Za-z][A-Za-z0-9+.-]*:\/\/)?(?:(?<userinfo>.*)@)?(?<rest>[^@]*)$/;

/**
 * Splits `--nats` (comma-separated servers) into servers without credentials and the credentials
 * themselves: nats.js ignores a URL's `user:pass@` part, so it must travel as options. Throws
 * `UsageError` when the servers carry different credentials.
 */
export function parseNatsUrl(natsUrl: string): NatsTarget {
  const servers: string[] = [];
  let userinfo: string | undefined;
  for (const entry of natsUrl.split(",").map((s) => s.trim()).filter(Boolean)) {
    const { scheme = "", userinfo: info, rest = "" } = URL_PARTS.exec(entry)?.groups ?? {};
    servers.push(`${scheme}${rest}`);
    if (info === undefined) continue;
    if (userinfo !== undefined && userinfo !== info) throw new UsageError("every server in --nats must carry the same credentials");
    userinfo = info;
  }
  if (userinfo === undefined || userinfo === "") return { servers };
  const colon = userinfo.indexOf(":");
  // Percent-encoded credentials are decoded; a raw `%` that is not an escape is taken as it is.
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  // `nats://TOKEN@host` is NATS's token form; `nats://user:pass@host` a user and password.
  return colon < 0
    ? { servers, token: decode(userinfo) }
    : { servers, user: decode(userinfo.slice(0, colon)), pass: decode(userinfo.slice(colon + 1)) };
}

/** The URL as it may be shown: any `user:pass@` or `token@` part replaced by `***@`. */
export function redactNatsUrl(natsUrl: string): string {
  return natsUrl
    .split(",")
    .map((raw) => {
      const entry = raw.trim();
      const { scheme = "", userinfo, rest = "" } = URL_PARTS.exec(entry)?.groups ?? {};
      return userinfo === undefined ? entry : `${scheme}***@${rest}`;
    })
    .join(",");
}

/** A connected bus, and the watch its service's start must run under (`startup.start`). */
export interface ConnectedBus {
  readonly bus: Bus;
  readonly kind: "nats" | "in-process";
  readonly startup: StartupWatch;
}

/**
 * Connects to `natsUrl` (comma-separated servers allowed), or returns an in-process bus. With a
 * logger, a handler's failure (or a request refused for its reply subject) is one structured log
 * line per subscription, ids shortened, rather than a process warning on stderr.
 */
export async function connectBus(natsUrl: string | undefined, name: string, log?: Logger): Promise<ConnectedBus> {
  const startup = new StartupWatch();
  const onHandlerError = log === undefined ? undefined : handlerErrorsTo(log, startup);
  if (natsUrl === undefined || natsUrl === "") return { bus: createInProcessBus(onHandlerError && { onHandlerError }), kind: "in-process", startup };
  const target = parseNatsUrl(natsUrl);
  // Said before trying: a server that never answers would otherwise leave the terminal silent.
  log?.info({ event: "nats-connecting", url: redactNatsUrl(natsUrl) }, `connecting to ${redactNatsUrl(natsUrl)}`);
  try {
    const bus = await connectNatsBus({ ...target, name, connectTimeoutMs: CONNECT_TIMEOUT_MS, ...(onHandlerError && { onHandlerError }) });
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
