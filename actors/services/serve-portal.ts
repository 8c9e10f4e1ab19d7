/** Hosts a Portal on the bus: `P.login` and `P.challenge` in queue group `P.portal`, and every session it opens. */
import type { Bus, BusSubscription } from "../../transports/bus.ts";
import { checkWholeNumber } from "../option-checks.ts";
import { defaultSagaTimeouts, type SagaTimeouts } from "../../machines/login-saga.ts";
import type { Checker } from "../checkers/checker.ts";
import { credentialsFromWire } from "../credentials/from-wire.ts";
import { AvatarError, BadRequest, LoginFailed } from "../errors.ts";
import { silentLogger, type Logger } from "../logger.ts";
import { Portal } from "../portal.ts";
import type { LoginSession } from "../login-session.ts";
import type { Realm } from "../realm.ts";
import { loginRequest, parse } from "../wire/schemas.ts";
import { mindSubjectRule, subjectsFor } from "../wire/subjects.ts";
import { CheckerDirectory } from "./checker-directory.ts";
import { ThrottledWarning } from "./throttled-warning.ts";
import { processStallWatch } from "./stall-watch.ts";
import { CHALLENGE_KINDS } from "../challenges/registry.ts";
import { OutageEndings } from "./outage-endings.ts";
import { RequestTimeout } from "../../transports/errors.ts";
import { graceLeftMs, watchReconnects } from "../../transports/reconnect-clock.ts";
import { loginCompleter } from "./complete-login.ts";
import { checkHostingOptions } from "./hosting-options.ts";
import type { MindLimits } from "./remote-mind.ts";
import type { SupervisionOptions } from "../supervision/supervised-avatar.ts";
import type { HostedSession } from "./portal-session.ts";
import { keepSessionsThroughDeafness } from "./deafness-guard.ts";
import { EndedSessionLinger } from "./ended-sessions.ts";
import { SessionSubjectReserve } from "./session-subject-reserve.ts";
import { describe, serveRequests } from "./responder.ts";
import { newIdentifier } from "../wire/identifiers.ts";
import { serveChallenges, type ChallengeOptions } from "./serve-challenges.ts";
import { answerSessionsQuestion } from "./session-reconciler.ts";
import { TokenSessions } from "./token-sessions.ts";
import { revocationListsOf, TokenChecker } from "../tokens/token-checker.ts";
import type { TokenAuthority } from "../tokens/token-authority.ts";
import { TokenCredentials } from "../credentials/token.ts";
import { MemoryRateLimiter } from "../rate-limit/memory.ts";
import type { RateLimiter } from "../rate-limit/rate-limiter.ts";
import { refuseRepliesOnOwnSubjects } from "./own-subject-replies.ts";

export const DEFAULT_HEARTBEAT_MS = 15_000;
/** The largest heartbeat whose session timer (2.5 ×) a Node timer can hold (2³¹ − 1 ms, ~24.8 days). */
export const MAX_HEARTBEAT_MS = Math.floor((2 ** 31 - 1) / 2.5);

export interface ServePortalOptions {
  /** A local realm, or a `RemoteRealm` served elsewhere. */
  readonly realm: Realm;
  /**
   * Local checkers. They rank as announced when the portal starts: above checkers that announced
   * earlier (answering its `discover`), below any announced later (PROTOCOL.md's most recently
   * announced live checker).
   */
  readonly checkers?: Iterable<Checker>;
  readonly prefix?: string;
  /** Clients should ping this often; a session idle for 2.5× this ends with `timeout`. */
  readonly heartbeatMs?: number;
  /**
   * How long a kind whose last announced checker withdrew answers `LoginFailed` ("try again")
   * before `UnhandledCredentials`; default 30000 ms (a checker restarting withdraws too).
   */
  readonly checkerWithdrawnGraceMs?: number;
  /**
   * How long an ended session's subjects still answer (a repeated `logout` gets `{"ok": true}`,
   * anything else `SessionEnded`) before NATS answers no-responders; default 5000, 0 for never.
   */
  readonly endedLingerMs?: number;
  /**
   * Subject prefixes a client may name as its `mind` besides inboxes (`_INBOX.…`, per-user
   * `_INBOX_<user>.…`, all that nats.conf's client user may subscribe to); whole tokens, e.g.
   * `["game-minds"]`. The portal publishes there with its own permissions: nothing wider.
   */
  readonly mindPrefixes?: readonly string[];
  readonly logger?: Logger;
  readonly timeouts?: Partial<Omit<SagaTimeouts, "sessionMs">>;
  /** Names under which this process also serves its local `checkers`; not registered twice. */
  readonly localCheckerNames?: Iterable<string>;
  /** Listen for checkers announced on the bus (default true). */
  readonly discoverCheckers?: boolean;
  /** `P.challenge`: expiry, mechanisms, cram-md5's host name, limits. */
  readonly challenges?: ChallengeOptions;
  /**
   * Counts refusals per account; past the threshold logins get `RateLimited` (default: an
   * in-memory limiter, 5 refusals then backoff from 1 s; `openKvRateLimiter` shares counts
   * between portals; `null` turns limiting off).
   */
  readonly rateLimiter?: RateLimiter | null;
  /** Signs session tokens (`issueToken` in a login) and checks `token` credentials (seed 003). */
  readonly tokens?: TokenAuthority;
  /**
   * Live sessions (and logins under way) this portal holds at most; past it logins get
   * `LoginFailed` before any checker runs. Default 200000 (about 1 GB of heap);
   * `Number.POSITIVE_INFINITY` for no limit. It bounds what anyone allowed to log in, anonymous
   * access included, can make a portal hold (an outside probe reached 2.6 GB in 30 s).
   */
  readonly maxSessions?: number;
  /** Checker names announced on the bus that this portal keeps at most (default 1000); a new name past that forgets the least recently active one, with a warning. */
  readonly maxCheckers?: number;
  /**
   * For avatars of a local realm (the portal's own process hosts them): the restart policy and how
   * long calls wait for a restarting avatar (docs/sessions.md). A realm service sets its own.
   */
  readonly supervision?: SupervisionOptions;
  /** How fast each session's Mind may be sent notifications from a local realm's avatars (default burst 200, then 1000/s, ≤ 1000 queued or 1 MiB). */
  readonly mindLimits?: Partial<MindLimits>;
  /**
   * Session subscriptions made ahead of the logins that will use them (default 32, 0 for none):
   * a login's reply then waits on no `subscribe` (session-subject-reserve.ts).
   */
  readonly sessionReserve?: number;
}

/** Live sessions a portal holds at most unless told otherwise. */
export const DEFAULT_MAX_SESSIONS = 200_000;

export interface PortalService {
  readonly portal: Portal;
  /** Revocation (`revokeToken`), on every portal; issuing too when it has a TokenAuthority. */
  readonly tokens: TokenSessions;
  /** Live sessions hosted by this instance. */
  readonly sessions: number;
  /** Open challenges on this instance (issued, not yet answered, refused or expired). */
  readonly challenges: number;
  /** This process's instance id: realm services ask `P.portal.ID` whether it is still there. */
  readonly instance: string;
  /** Stops taking logins and ends every session with `shutdown` (each avatar logged out). */
  close(): Promise<void>;
}

/** Serves logins until `close()`. Several instances with one prefix share the load. */
export async function servePortal(bus: Bus, options: ServePortalOptions): Promise<PortalService> {
  const subjects = subjectsFor(options.prefix);
  refuseRepliesOnOwnSubjects(bus, subjects);
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  if (maxSessions !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxSessions) || maxSessions < 1)) {
    throw new RangeError("maxSessions must be a positive integer or Infinity");
  }
  checkHostingOptions(options);
  checkWholeNumber("checkerWithdrawnGraceMs", options.checkerWithdrawnGraceMs, 0);
  for (const [name, value] of Object.entries(options.timeouts ?? {})) checkWholeNumber(`timeouts.${name}`, value, 1);
  checkWholeNumber("maxCheckers", options.maxCheckers, 1, Number.MAX_SAFE_INTEGER);
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  if (!Number.isInteger(heartbeatMs) || heartbeatMs < 10 || heartbeatMs > MAX_HEARTBEAT_MS) {
    // Node fires a longer timer after 1 ms: every session would end at once.
    throw new RangeError(`heartbeatMs must be an integer from 10 to ${MAX_HEARTBEAT_MS}`);
  }
  // Between the protocol's bounds: no earlier than 2× and no later than 3× heartbeatMs + 1 s.
  const sessionMs = Math.round(heartbeatMs * 2.5);
  // Checked here, before anything subscribes: a bad value must not leave subscriptions behind.
  const linger = new EndedSessionLinger(options.endedLingerMs);
  const logger = options.logger ?? silentLogger;
  const reserve = new SessionSubjectReserve(bus, subjects, { size: options.sessionReserve, logger, fallback: () => new AvatarError() });
  const mindRule = mindSubjectRule(options.mindPrefixes);
  const mindPrefixesNote = `invalid mind: must be a plain subject under ${["_INBOX.", "_INBOX_<user>.", ...(options.mindPrefixes ?? []).map((p) => `${p}.`)].join(" or ")}`;
  const rateLimiter = options.rateLimiter === undefined ? new MemoryRateLimiter() : options.rateLimiter;
  // A session that timed out (at 2.5×) must have its `ended` out by 3× heartbeatMs + 1 s: its
  // avatar's logout (a realm service's release) gets what is left, less 300 ms, when that is
  // under the logout limit. A realm process that died without a word, or one built from
  // PROTOCOL.md alone that stopped serving the session, never answers the release, and NATS
  // cannot say no-responders for it: this portal's own `P.session.ID.>` subscription matches it
  // (outside probe: `ended` came 5 s late, past the bound). A logout asked for keeps the full
  // limit: no bound applies, and a slow realm's last notifications then still precede `ended`.
  const logoutMs = options.timeouts?.logoutMs ?? defaultSagaTimeouts.logoutMs;
  const timeoutLogoutMs = options.timeouts?.timeoutLogoutMs ?? Math.min(logoutMs, Math.floor(heartbeatMs / 2) + 700);
  const localCheckers = [...(options.checkers ?? [])];
  // A store that is down fails every login alike: one line per 10 s, with how many were left out.
  const limiterFailed = { check: new ThrottledWarning(() => logger, "error"), record: new ThrottledWarning(() => logger, "error") };
  const portal = new Portal(options.realm, localCheckers, {
    timeouts: { ...options.timeouts, sessionMs, logoutMs, timeoutLogoutMs },
    rateLimiter,
    onRateLimiterError: (error, step) =>
      step === "check"
        ? limiterFailed.check.note(() => ({ err: String(error) }), "rate limiter failed; refusing logins")
        : // A store that reads but will not write: the shared limiter counts in this process meanwhile (actors/rate-limit/kv.ts).
          limiterFailed.record.note(() => ({ err: String(error) }), "rate limiter could not record a login's outcome; logins go on, limited by this process's own count"),
    // The type only: a message could carry whatever the failing code put in it.
    onUnexpectedError: (step, error) =>
      // A release unanswered in time is expected while NATS is away or the realm is gone (an
      // outside probe restarting NATS saw one error line per session): the session ends anyway.
      step === "logout" && error instanceof RequestTimeout
        ? logger.warn({ step, error: describe(error) }, "the realm did not answer the release in time; the session ended anyway")
        : logger.error({ step, error: describe(error) }, "unexpected error in a login step"),
    // Declared below; a checker can only be found gone once logins flow, after it exists.
    onCheckerGone: (checker) => directory.checkerGone(checker),
    // A checker dropped around a NATS outage announces itself again a moment after this portal
    // is back: its logins wait for it within the grace instead of answering "try again" at once.
    checkerReturnWaitMs: () => graceLeftMs(bus),
  });
  watchReconnects(bus);
  warnShadowedCheckers(localCheckers, logger);
  // Registered first, so an announced token checker for the same kind still takes precedence.
  if (options.tokens && !portal.listCredentialsKinds().includes(TokenCredentials.kind)) portal.registerChecker(new TokenChecker(options.tokens));
  // Every portal follows revocations, issuing or not: one that only accepts tokens (a game
  // server) must end the sessions of a token revoked at the portal that issued it.
  const tokens = new TokenSessions(bus, subjects, options.tokens, logger, revocationListsOf(localCheckers));
  tokens.start();
  const sessions = new Map<string, HostedSession>();
  const stopGuard = keepSessionsThroughDeafness(bus, heartbeatMs, (graceMs) => {
    for (const session of sessions.values()) session.hold(graceMs);
  });
  let closing: Promise<void> | undefined;
  // Set once the login subscription is drained and the logins it delivered are done.
  let shuttingDown = false;
  // Logins still in their saga: a shutdown must reach them too, so a late avatar is released.
  const pending = new Set<LoginSession>();
  const directory = new CheckerDirectory(bus, portal, {
    prefix: subjects.prefix,
    logger,
    ...(options.localCheckerNames === undefined ? {} : { localNames: options.localCheckerNames }),
    localCheckers,
    ...(options.checkerWithdrawnGraceMs === undefined ? {} : { withdrawnGraceMs: options.checkerWithdrawnGraceMs }),
    ...(options.maxCheckers === undefined ? {} : { maxCheckers: options.maxCheckers }),
  });
  // What this portal subscribed so far: undone if it fails to start (a flush failing on a lost
  // connection, the bus closed meanwhile), so nothing of it keeps listening or registering checkers.
  const undo: Array<() => void> = [() => tokens.stop(), () => directory.stop(), stopGuard];
  const failed = (error: unknown): never => {
    for (const step of undo.reverse()) step();
    throw error;
  };
  const guarded = <T>(make: () => T): T => {
    try {
      return make();
    } catch (error) {
      return failed(error);
    }
  };
  // Calls that waited out a stall of this process are not taken for lost (portal-session.ts).
  processStallWatch.start();
  if (options.discoverCheckers !== false) {
    directory.start();
    // The running checkers answer `discover` before this portal takes any login.
    await bus.flush().then(() => directory.settled(), failed);
  }

  // Realm services hosting this portal's avatars ask here whether it is still there
  // (instance-watch.ts): once the process is gone, they log those avatars out.
  const instance = newIdentifier();
  // With `sessions`, they also ask which of theirs are over (session-reconciler.ts).
  const liveness = guarded(() =>
    serveRequests(
      bus,
      subjects.portalInstance(instance),
      // A login still finishing is not in `sessions` yet: realms ask only about older ones.
      (body) => answerSessionsQuestion(body, (id) => sessions.has(id)),
      { logger, fallback: () => new LoginFailed() },
    ),
  );
  undo.push(() => liveness.unsubscribe());

  // A Mind's `ended` published while NATS was down goes out once more after the reconnect.
  const outageEndings = new OutageEndings(bus);
  undo.push(() => outageEndings.close());
  undo.push(() => void reserve.close());
  guarded(() => reserve.fill());
  const completeLogin = loginCompleter({
    bus,
    outageEndings,
    subjects,
    instance,
    portal,
    heartbeatMs,
    logger,
    sessions,
    pending,
    isClosing: () => shuttingDown,
    maxSessions,
    tokens,
    linger,
    mindRule,
    mindPrefixesNote,
    supervision: options.supervision,
    mindLimits: options.mindLimits,
    reserve,
  });

  const malformedLogins = new ThrottledWarning(() => logger);
  const login: BusSubscription = guarded(() =>
    serveRequests(
      bus,
      subjects.login,
      async (body, message) => {
        const request = parse(loginRequest, body);
        // A challenge answer sent straight to P.login could be replayed: challenge kinds only
        // ever reach a checker through the challenge actor that issued the challenge.
        if (CHALLENGE_KINDS.has(request.credentials.kind)) {
          throw new BadRequest(`credentials of kind ${request.credentials.kind} are only accepted on ${subjects.challenge}`);
        }
        return completeLogin(request, () => credentialsFromWire(request.credentials), { kind: request.credentials.kind, replyTo: message.reply });
      },
      {
        queue: subjects.portalQueue,
        logger,
        fallback: () => new LoginFailed(),
        // Not a login outcome, but an operator debugging a client wants to see it: at most a line
        // per 10 s, counting the rest (an outside newcomer's malformed logins left no line at all).
        onRefused: (error) => {
          if (error instanceof BadRequest) malformedLogins.note(() => ({ event: "login-malformed", err: error.message }), "refused a malformed login request");
        },
      },
    ),
  );
  undo.push(() => login.unsubscribe());
  const challenges = guarded(() =>
    serveChallenges(bus, { subjects, portal, completeLogin, logger, isClosing: () => closing !== undefined }, options.challenges),
  );
  undo.push(() => void challenges.close());
  await bus.flush().catch(failed);

  return {
    portal,
    tokens,
    get sessions() {
      return sessions.size;
    },
    get challenges() {
      return challenges.open;
    },
    instance,
    close: () =>
      (closing ??= (async () => {
        // Drained, not unsubscribed: NATS may have routed logins here just before this portal
        // left the queue group, and those must be answered, not lost to a client timeout.
        await login.drain();
        // The logins that came in meanwhile finish (their sagas bound how long), then everything
        // ends with `shutdown`, sessions opened during the drain included.
        while (pending.size > 0) await Promise.allSettled([...pending].map((s) => s.ready));
        await new Promise((resolve) => setImmediate(resolve));
        shuttingDown = true;
        stopGuard();
        directory.stop();
        tokens.stop();
        await Promise.all([
          challenges.close(),
          ...[...pending].map((s) => s.shutdown()),
          ...[...sessions.values()].map((s) => s.shutdown()),
        ]);
        // Nothing is left to answer a repeated logout once the portal is gone.
        linger.close();
        await reserve.close();
        outageEndings.close();
        // Last: until every session is over, realm services must not take this process for dead.
        liveness.unsubscribe();
      })()),
  };
}

/**
 * Twisted's rule, a later checker for a kind replaces an earlier one, silently leaves an earlier
 * local checker unused for that kind: `serve --auth memory:… --auth htpasswd:…` logged users of
 * the first in with the second only (an outside probe took it for a bug). Said once, at start.
 */
function warnShadowedCheckers(checkers: readonly Checker[], logger: Logger): void {
  const last = new Map<string, number>();
  checkers.forEach((checker, index) => {
    for (const kind of checker.credentialKinds) last.set(kind, index);
  });
  checkers.forEach((checker, index) => {
    const shadowed = checker.credentialKinds.filter((kind) => last.get(kind) !== index);
    if (shadowed.length === 0) return;
    const name = (c: Checker) => c.constructor?.name || "checker";
    for (const kind of shadowed) {
      logger.warn(
        { event: "checker-shadowed", kind, unused: `${name(checker)} (#${index + 1})`, used: `${name(checkers[last.get(kind)!]!)} (#${last.get(kind)! + 1})` },
        "a later checker for this kind replaces this one: only the last checker given for a kind checks it",
      );
    }
  });
}
