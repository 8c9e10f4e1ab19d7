/** Hosts a Portal on the bus: `P.login` in queue group `P.portal`, and every session it opens. */
import type { Bus, BusSubscription } from "../../transports/bus.ts";
import type { SagaTimeouts } from "../../machines/login-saga.ts";
import type { Checker } from "../checkers/checker.ts";
import { credentialsFromWire } from "../credentials/from-wire.ts";
import { BadRequest, LoginFailed } from "../errors.ts";
import { silentLogger, type Logger } from "../logger.ts";
import { Portal } from "../portal.ts";
import type { LoginSession } from "../login-session.ts";
import type { Realm } from "../realm.ts";
import { newIdentifier } from "../wire/identifiers.ts";
import { loginRequest, parse } from "../wire/schemas.ts";
import { isSafeMindSubject, subjectsFor } from "../wire/subjects.ts";
import { CheckerDirectory } from "./checker-directory.ts";
import { hostSession, type HostedSession } from "./portal-session.ts";
import { RemoteMind } from "./remote-mind.ts";
import { serveRequests } from "./responder.ts";
import { okReply } from "../wire/codec.ts";

export const DEFAULT_HEARTBEAT_MS = 15_000;

export interface ServePortalOptions {
  /** A local realm, or a `RemoteRealm` served elsewhere. */
  readonly realm: Realm;
  /** Local checkers; checkers announced on the bus are added on top of them. */
  readonly checkers?: Iterable<Checker>;
  readonly prefix?: string;
  /** Clients should ping this often; a session idle for 2.5× this ends with `timeout`. */
  readonly heartbeatMs?: number;
  readonly logger?: Logger;
  readonly timeouts?: Partial<Omit<SagaTimeouts, "sessionMs">>;
  /** Names under which this process also serves its local `checkers`; not registered twice. */
  readonly localCheckerNames?: Iterable<string>;
  /** Listen for checkers announced on the bus (default true). */
  readonly discoverCheckers?: boolean;
}

export interface PortalService {
  readonly portal: Portal;
  /** Live sessions hosted by this instance. */
  readonly sessions: number;
  /** Stops taking logins and ends every session with `shutdown` (each avatar logged out). */
  close(): Promise<void>;
}

/** Serves logins until `close()`. Several instances with one prefix share the load. */
export async function servePortal(bus: Bus, options: ServePortalOptions): Promise<PortalService> {
  const subjects = subjectsFor(options.prefix);
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  if (!Number.isInteger(heartbeatMs) || heartbeatMs < 10) throw new TypeError("heartbeatMs must be an integer ≥ 10");
  // Between the protocol's bounds: no earlier than 2× and no later than 3× heartbeatMs + 1 s.
  const sessionMs = Math.round(heartbeatMs * 2.5);
  const logger = options.logger ?? silentLogger;
  const portal = new Portal(options.realm, options.checkers ?? [], { timeouts: { ...options.timeouts, sessionMs } });
  const sessions = new Map<string, HostedSession>();
  let closing: Promise<void> | undefined;
  // Logins still in their saga: a shutdown must reach them too, so a late avatar is released.
  const pending = new Set<LoginSession>();
  const directory = new CheckerDirectory(bus, portal, {
    prefix: subjects.prefix,
    logger,
    ...(options.localCheckerNames === undefined ? {} : { localNames: options.localCheckerNames }),
  });
  if (options.discoverCheckers !== false) directory.start();

  const login: BusSubscription = serveRequests(
    bus,
    subjects.login,
    async (body) => {
      const started = performance.now();
      const request = parse(loginRequest, body);
      const mindSubject = request.mind ?? null;
      if (mindSubject !== null && !isSafeMindSubject(mindSubject, subjects.prefix)) {
        throw new BadRequest("invalid mind: must be a plain subject outside the portal's prefix");
      }
      const credentials = credentialsFromWire(request.credentials);
      const id = newIdentifier();
      const mind = new RemoteMind(bus, mindSubject, id);
      if (closing) throw new LoginFailed("portal is shutting down");
      const session = portal.openSession(credentials, mind, request.interfaces);
      pending.add(session);
      try {
        const grant = await session.ready.finally(() => pending.delete(session));
        const avatarId = session.actor.getSnapshot().context.avatarId;
        const anonymous = typeof avatarId !== "string";
        const hosted = hostSession(bus, subjects, { id, session, grant, mind, logger });
        sessions.set(id, hosted);
        void hosted.ended.then(() => sessions.delete(id));
        logger.info(
          { event: "login", outcome: "ok", kind: request.credentials.kind, avatarId: anonymous ? null : avatarId, session: hosted.shortId, durationMs: elapsed(started) },
          "login succeeded",
        );
        return okReply({
          session: id,
          avatarId: anonymous ? null : avatarId,
          interface: grant.interface,
          heartbeatMs,
          ...(anonymous ? { anonymous: true } : {}),
        });
      } catch (error) {
        mind.close();
        logger.info(
          { event: "login", outcome: "refused", kind: request.credentials.kind, code: (error as { code?: string }).code ?? "LoginFailed", durationMs: elapsed(started) },
          "login refused",
        );
        throw error;
      }
    },
    { queue: subjects.portalQueue, logger, fallback: () => new LoginFailed() },
  );
  await bus.flush();
  // Give running checkers a moment to answer `discover` before the first login arrives.
  if (options.discoverCheckers !== false) await new Promise((resolve) => setTimeout(resolve, 50));

  return {
    portal,
    get sessions() {
      return sessions.size;
    },
    close: () =>
      (closing ??= (async () => {
        login.unsubscribe();
        directory.stop();
        await Promise.all([
          ...[...pending].map((s) => s.shutdown()),
          ...[...sessions.values()].map((s) => s.shutdown()),
        ]);
      })()),
  };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}
