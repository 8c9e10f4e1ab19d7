/** The end of every login on a portal: credentials → login saga → hosted session → the login reply. */
import type { Bus } from "../../transports/bus.ts";
import { inboxPrefixOf } from "../../transports/reply-subjects.ts";
import { ANONYMOUS } from "../checkers/checker.ts";
import type { Credentials } from "../credentials/credentials.ts";
import { TokenCredentials } from "../credentials/token.ts";
import type { TokenSessions } from "./token-sessions.ts";
import { BadRequest, LoginFailed, UnauthorizedLogin } from "../errors.ts";
import { silentLogger, type Logger } from "../logger.ts";
import type { LoginSession } from "../login-session.ts";
import type { Portal } from "../portal.ts";
import { okReply } from "../wire/codec.ts";
import { newIdentifier } from "../wire/identifiers.ts";
import { isSafeMindSubject, type MindSubjectRule, type Subjects } from "../wire/subjects.ts";
import { hostSession, type HostedSession } from "./portal-session.ts";
import type { EndedSessionLinger } from "./ended-sessions.ts";
import { RemoteMind, type MindLimits } from "./remote-mind.ts";
import type { SupervisionOptions } from "../supervision/supervised-avatar.ts";
import type { OutageEndings } from "./outage-endings.ts";
import { RemoteRealm } from "./remote-realm.ts";
import { ThrottledWarning } from "./throttled-warning.ts";
import { AfterReplies } from "./after-replies.ts";
import type { SessionSubjectReserve } from "./session-subject-reserve.ts";
import { PendingSession } from "./pending-session.ts";

/** The login fields every login request carries (`P.login`, `P.challenge.ID`). */
export interface LoginFields {
  readonly interfaces: readonly string[];
  readonly mind?: string | null | undefined;
  /** Ask for a session token in the reply (portals configured with a TokenAuthority). */
  readonly issueToken?: boolean | undefined;
}

export interface CompleteLoginOptions {
  /** The kind logged (the credentials' own kind by default). */
  readonly kind?: string;
  /** Extra fields for a successful reply (scram-sha-256's `final`); never logged. */
  readonly extra?: Record<string, unknown>;
  /** Extra fields for the login's log line. */
  readonly log?: Record<string, unknown>;
  /** The reply subject of the request that logs in: an inbox mind must be under its inbox prefix. */
  readonly replyTo?: string | undefined;
}

export interface LoginHostDeps {
  readonly bus: Bus;
  readonly subjects: Subjects;
  /** This portal process's instance id, told to realm services through each session's Mind. */
  readonly instance: string;
  readonly portal: Portal;
  readonly heartbeatMs: number;
  readonly logger: Logger;
  /** Live sessions of this instance, kept up to date here. */
  readonly sessions: Map<string, HostedSession>;
  /** Logins still in their saga, so a shutdown reaches them too. */
  readonly pending: Set<LoginSession>;
  readonly isClosing: () => boolean;
  /** Live sessions plus logins under way past which logins are refused (`servePortal`'s `maxSessions`). */
  readonly maxSessions?: number;
  /** Which subjects a client may name as its Mind, and the BadRequest text for any other. */
  readonly mindRule: MindSubjectRule;
  readonly mindPrefixesNote: string;
  /** Keeps ended sessions' subjects answered a while (a repeated logout gets `{"ok": true}`). */
  readonly linger?: EndedSessionLinger;
  /** Issues session tokens (when it `issues`) and ends the sessions of revoked ones. */
  readonly tokens?: TokenSessions | undefined;
  /** Sends a Mind's `ended` again when it was published while NATS was down. */
  readonly outageEndings?: OutageEndings;
  /** Restart policy and call wait for a local realm's avatars. */
  readonly supervision?: SupervisionOptions | undefined;
  /** Limits on each session's Mind. */
  readonly mindLimits?: Partial<MindLimits> | undefined;
  /** Session subscriptions made ahead of the logins; absent: each login subscribes its own. */
  readonly reserve?: SessionSubjectReserve;
}

/** What a login gets while its portal holds `maxSessions`. */
export const SESSION_LIMIT = "this portal holds as many sessions as it may; try again later";

/** Completes logins for one portal instance. */
export type CompleteLogin = (
  fields: LoginFields,
  credentials: () => Credentials,
  options?: CompleteLoginOptions,
) => Promise<Uint8Array>;

/**
 * Makes the portal's login completion. It rejects with `BadRequest` for an unsafe mind subject
 * (checked before `credentials()` is called), `LoginFailed` while shutting down, and with the
 * saga's error (`UnauthorizedLogin`, `UnhandledCredentials`, `NoSuchInterface`, `LoginFailed`).
 */
export function loginCompleter(deps: LoginHostDeps): CompleteLogin {
  const { bus, subjects, portal, heartbeatMs, logger, sessions, pending } = deps;
  const maxSessions = deps.maxSessions ?? Number.POSITIVE_INFINITY;
  const full = new ThrottledWarning(() => logger);
  // Each login's line is written once its reply has left (after-replies.ts); a silent portal
  // (a library user's, the bench's) makes neither the line nor the task.
  const afterReplies = new AfterReplies();
  const logs = logger !== silentLogger;
  return async (fields, makeCredentials, options = {}) => {
    const started = performance.now();
    const mindSubject = fields.mind ?? null;
    if (mindSubject !== null && !isSafeMindSubject(mindSubject, subjects.prefix, deps.mindRule)) {
      throw new BadRequest(deps.mindPrefixesNote);
    }
    // Nothing in core NATS says who sent a request, but the client reads its reply on its own
    // inboxes: an inbox mind under another prefix is someone else's (an outside probe's alice
    // pointed her sessions' Minds at bob's, and the services published her notifications and
    // `ended` there, 51 messages for one move with 50 sessions).
    const replyInbox = inboxPrefixOf(options.replyTo);
    const mindInbox = mindSubject === null ? undefined : inboxPrefixOf(mindSubject);
    if (replyInbox !== undefined && mindInbox !== undefined && replyInbox !== mindInbox) {
      throw new BadRequest(`invalid mind: an inbox mind must be under the request's own inbox prefix (${replyInbox}.)`);
    }
    if (fields.issueToken === true && !deps.tokens?.issues) throw new BadRequest("this portal issues no session tokens");
    if (sessions.size + pending.size >= maxSessions) {
      full.note(() => ({ event: "session-limit", maxSessions }), "refusing logins: this portal holds its maximum of live sessions");
      throw new LoginFailed(SESSION_LIMIT);
    }
    const credentials = makeCredentials();
    const kind = options.kind ?? credentials.kinds[0];
    if (deps.isClosing()) throw new LoginFailed("portal is shutting down");
    const reserved = deps.reserve?.take();
    const id = reserved?.id ?? newIdentifier();
    const mind = new RemoteMind(bus, mindSubject, id, deps.mindLimits, deps.instance, deps.outageEndings);
    // Twisted's `mind=None`: a realm in this process gets null when the client named no mind
    // subject. A RemoteRealm still takes the session's RemoteMind: it carries the session id and
    // this portal's instance to the realm service, which gives its realm null in turn.
    const realmMind = mindSubject === null && !(portal.realm instanceof RemoteRealm) ? null : mind;
    let session: LoginSession;
    try {
      session = portal.openSession(credentials, realmMind, fields.interfaces);
    } catch (error) {
      if (reserved !== undefined) deps.reserve!.giveBack(reserved);
      throw error;
    }
    pending.add(session);
    // Until the login has its outcome, the session's subjects answer as one under way.
    const underWay = reserved && new PendingSession(reserved.base, session, reserved.route, logger);
    if (underWay !== undefined) reserved!.route.to = underWay;
    let hosted: HostedSession | undefined;
    try {
      const grant = await session.ready.finally(() => pending.delete(session));
      const avatarId = session.actor.getSnapshot().context.avatarId;
      const anonymous = typeof avatarId !== "string";
      // With the realm the session can rebuild a crashed avatar (supervision, docs/sessions.md).
      hosted = hostSession(bus, subjects, { id, session, grant, mind, logger, realm: portal.realm, linger: deps.linger, registry: sessions, supervision: deps.supervision, reserved });
      underWay?.settle();
      sessions.set(id, hosted);
      let issued: { token: string; tokenExpiresAt: number } | undefined;
      // Only token logins and logins asking for one are tracked: every other login skips this.
      if (deps.tokens && (credentials instanceof TokenCredentials || fields.issueToken === true)) {
        const revocable = { revoke: () => session.revoke(), ended: hosted.ended };
        if (credentials instanceof TokenCredentials && !deps.tokens.trackLoginWith(credentials.token, revocable)) {
          // Revoked while the realm answered: refused as a login after the revocation is. The avatar
          // granted is logged out (reason `revoked` in the log); the client, refused, hears no `ended`.
          void session.revoke();
          throw new UnauthorizedLogin();
        }
        if (fields.issueToken === true) {
          // A token login gets the token it presented, never a fresh one: a token that could renew
          // itself would outlive its expiry, and a stolen one would survive its own revocation.
          issued =
            (credentials instanceof TokenCredentials ? deps.tokens.reissue(credentials.token) : undefined) ??
            (await deps.tokens.issue(anonymous ? ANONYMOUS : (avatarId as string), revocable));
        }
      }
      if (logs) {
        const line = { event: "login", outcome: "ok", kind, ...options.log, avatarId: anonymous ? null : avatarId, session: hosted.shortId, durationMs: elapsed(started) };
        afterReplies.run(() => logger.info(line, "login succeeded"));
      }
      return okReply({
        session: id,
        avatarId: anonymous ? null : avatarId,
        interface: grant.interface,
        heartbeatMs,
        ...(anonymous ? { anonymous: true } : {}),
        ...issued,
        ...options.extra,
      });
    } catch (error) {
      mind.close();
      // Hosted, the session's end drops its subscription. Otherwise: an identifier no realm saw
      // (the checker refused, say) is reused; one a realm did see is never handed out again.
      if (reserved !== undefined && hosted === undefined) {
        if (session.actor.getSnapshot().context.avatarId === null) deps.reserve!.giveBack(reserved);
        else deps.reserve!.discard(reserved);
      }
      underWay?.settle();
      // A failure after the session was opened (issuing its token) must not leave it live: the
      // client, told the login failed, holds no session id to log it out with.
      if (hosted !== undefined) void session.logout().catch(() => undefined);
      if (logs) {
        const line = { event: "login", outcome: "refused", kind, ...options.log, code: (error as { code?: string }).code ?? "LoginFailed", durationMs: elapsed(started) };
        afterReplies.run(() => logger.info(line, "login refused"));
      }
      throw error;
    }
  };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}
