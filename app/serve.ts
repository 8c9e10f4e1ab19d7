/** `portcullis serve`: a portal, its checkers and the echo realm as long-running services on a bus. */
import type { Logger as PinoLogger } from "pino";
import {
  makeChecker,
  parseAuthDescription,
  serveChecker,
  servePortal,
  serveRealm,
  SimpleRealm,
  type Checker,
  type CheckerService,
  type RateLimiter,
  type TokenAuthority,
} from "../actors/index.ts";
import type { Bus } from "../transports/index.ts";

export interface ServeOptions {
  readonly auth: readonly string[];
  /** The checkers `auth` describes, when already made (in the same order). */
  readonly checkers?: readonly Checker[];
  readonly prefix?: string;
  readonly heartbeatMs?: number;
  /** Live sessions the portal holds at most (see `servePortal`). */
  readonly maxSessions?: number;
  /** Subject prefixes clients may name as their Mind besides inboxes (see `servePortal`). */
  readonly mindPrefixes?: readonly string[];
  readonly logger: PinoLogger;
  /** Counts refusals (default: the portal's in-memory limiter; null: off). */
  readonly rateLimiter?: RateLimiter | null;
  /** Issues session tokens on `issueToken` and accepts `token` credentials. */
  readonly tokens?: TokenAuthority;
}

export interface Server {
  readonly checkerNames: readonly string[];
  /** Ends every session with `shutdown`, withdraws the checkers and stops the realm. */
  close(): Promise<void>;
}

/** Gives each checker a service name: its auth type, numbered when one type appears twice. */
export function serviceNames(auth: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return auth.map((description) => {
    const { authType } = parseAuthDescription(description);
    const n = (seen.get(authType) ?? 0) + 1;
    seen.set(authType, n);
    return n === 1 ? authType : `${authType}-${n}`;
  });
}

/**
 * Serves the checkers made from `auth` (each also as its own `P.checker.NAME` service), the echo
 * realm as `P.realm.echo`, and a portal using both in-process (no extra hop per login).
 * Rejects with `InvalidAuthType` or `InvalidAuthArgumentString` for a bad `--auth`.
 */
export async function serve(bus: Bus, options: ServeOptions): Promise<Server> {
  // Checkers already made (the CLI makes them to validate `--auth`) are used as they are: making
  // a file checker twice would leave a second watcher on its file.
  const checkers: Checker[] = options.checkers ? [...options.checkers] : [];
  if (!options.checkers) for (const description of options.auth) checkers.push(await makeChecker(description, { logger: options.logger }));
  const names = serviceNames(options.auth);
  const prefix = options.prefix === undefined ? {} : { prefix: options.prefix };
  const logger = options.logger;
  const realm = new SimpleRealm();
  const checkerServices: CheckerService[] = [];
  for (const [i, checker] of checkers.entries()) {
    checkerServices.push(await serveChecker(bus, checker, { name: names[i]!, logger, ...prefix }));
  }
  const realmService = await serveRealm(bus, realm, { name: "echo", logger, ...prefix });
  const portal = await servePortal(bus, {
    realm,
    checkers,
    localCheckerNames: names,
    ...(options.rateLimiter === undefined ? {} : { rateLimiter: options.rateLimiter }),
    logger,
    ...prefix,
    ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
    ...(options.maxSessions === undefined ? {} : { maxSessions: options.maxSessions }),
    ...(options.mindPrefixes === undefined ? {} : { mindPrefixes: options.mindPrefixes }),
    ...(options.tokens === undefined ? {} : { tokens: options.tokens }),
  });
  return {
    checkerNames: names,
    async close() {
      await portal.close();
      await realmService.stop();
      for (const service of checkerServices) await service.stop();
    },
  };
}
