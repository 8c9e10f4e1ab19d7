/** Hosts a realm as a NATS service: `P.realm.NAME.avatar`, and each supervised avatar on its session's subjects. */
import type { Bus } from "../../transports/bus.ts";
import { checkHostingOptions } from "./hosting-options.ts";
import { ANONYMOUS } from "../checkers/checker.ts";
import { AvatarError, BadRequest, LoginFailed, SessionEnded } from "../errors.ts";
import { silentLogger, type Logger } from "../logger.ts";
import type { LoginResult, Realm } from "../realm.ts";
import { checkedGrant } from "../realm-grant.ts";
import { SupervisedAvatar, type SupervisionOptions } from "../supervision/supervised-avatar.ts";
import { decodeObject, encode, okEmpty, okReply } from "../wire/codec.ts";
import { parse, realmRequest, type RealmRequest } from "../wire/schemas.ts";
import { newIdentifier, shortId } from "../wire/identifiers.ts";
import { InstanceWatch, type InstanceWatchOptions } from "./instance-watch.ts";
import { answerSessionsQuestion, SessionReconciler, type SessionReconcilerOptions } from "./session-reconciler.ts";
import { isSafeMindSubject, subjectsFor } from "../wire/subjects.ts";
import { answerCall } from "./avatar-call.ts";
import { ConnectionDoubt } from "./connection-doubt.ts";
import { RemoteMind, type MindLimits } from "./remote-mind.ts";
import { respondTo, serveRequests } from "./responder.ts";
import { TakenCalls } from "./taken-calls.ts";
import { refuseRepliesOnOwnSubjects } from "./own-subject-replies.ts";

/** What a call hears while the portal hosting its session has no responders, not yet long enough to count as gone. */
const PORTAL_UNREACHABLE = "the portal hosting the session is not reachable; try again";

/** How long a call waits, after a lost connection, for the portal to confirm its session is live. */
const CALL_DOUBT_WAIT_MS = 2_000;

export interface ServeRealmOptions {
  /** The service name (`P.realm.NAME`); one token of letters, digits, `-` and `_`. */
  readonly name: string;
  readonly prefix?: string;
  readonly logger?: Logger;
  /** Restart policy and call wait of every hosted avatar. */
  readonly supervision?: SupervisionOptions;
  /** Pacing and bound of each session's notifications (see `MindLimits`). */
  readonly mindLimits?: Partial<MindLimits>;
  /** How long to wait for the portal to acknowledge `failed` before releasing on our own (default 5000). */
  readonly failedTimeoutMs?: number;
  /** How the portal processes whose sessions this realm hosts avatars for are watched for death. */
  readonly portalWatch?: InstanceWatchOptions;
  /** How often those portals are asked which of the sessions are over (see `SessionReconciler`). */
  readonly reconcile?: SessionReconcilerOptions;
}

export interface RealmService {
  readonly name: string;
  /** This process's instance id: portals ask `P.realm.NAME.instance.ID` whether it is still there. */
  readonly instance: string;
  /** How many avatars this instance hosts now. */
  readonly hosted: number;
  /** Stops taking avatar requests and logs out every hosted avatar. */
  stop(): Promise<void>;
}

interface Hosted {
  readonly release: (queued?: "flush" | "drop" | "end") => Promise<void>;
  /** Lets go of the avatar because this process stops; the portal ends the session with `shutdown`. */
  readonly shutdown: () => Promise<void>;
}

/** Serves `realm` until `stop()`; several instances of one name share the load (queue group). */
export async function serveRealm(bus: Bus, realm: Realm, options: ServeRealmOptions): Promise<RealmService> {
  checkHostingOptions(options);
  const subjects = subjectsFor(options.prefix);
  refuseRepliesOnOwnSubjects(bus, subjects);
  const logger = (options.logger ?? silentLogger).child({ realm: options.name });
  const hosted = new Map<string, Hosted>();
  /** Sessions whose avatar the realm is being asked for. */
  const granting = new Set<string>();
  // The calls each session took lately (the answer to a release, the shutdown notice and a call's
  // audit list them): the portal answers exactly the calls of its sessions that this process did not take.
  const taken = new TakenCalls();
  const fallback = () => new AvatarError();
  const instance = newIdentifier();
  const portals = new InstanceWatch(bus, options.portalWatch);
  const reconciler = new SessionReconciler(bus, options.reconcile);
  // After a lost connection, no avatar speaks or answers until its portal says the session is live.
  const doubt = new ConnectionDoubt(bus, () => reconciler.reconcile(true));

  // Asks the realm for the avatar of one session: at login, and again for each restart.
  const requestAvatar = async (request: RealmRequest, mind: RemoteMind): Promise<LoginResult> => {
    // Twisted's `mind=None` when the client named no mind subject.
    const grant = await realm.requestAvatar(request.anonymous ? ANONYMOUS : request.avatarId!, request.mind === null ? null : mind, ...request.interfaces);
    return checkedGrant(grant, request.interfaces);
  };

  const host = (request: RealmRequest, grant: LoginResult, mind: RemoteMind): void => {
    const { session } = request;
    const base = subjects.session(session);
    let released: Promise<void> | undefined;
    let callsLetGo: Promise<void> | undefined;
    // Drained: a call already on its way is answered (SessionEnded once released), not dropped.
    // A call that finds no realm subscribed any more reaches only the portal, which answers it
    // exactly when this process says it did not take it (`taken`).
    const letGoOfCalls = (): Promise<void> =>
      (callsLetGo ??= calls.drain().finally(() => taken.release(session)));
    // `flush`: the session ends at the portal's order, whose `ended` follows what is still queued
    // (published first, on this connection). `end`: the portal is gone, so nobody else will tell
    // the Mind; this process sends what is queued and the `ended` itself. Otherwise (`drop`) the
    // portal's `ended` may be out already: drop the queue.
    const release = (queued: "flush" | "drop" | "end" = "drop") =>
      (released ??= (async () => {
        watchedPortal?.unwatch();
        reconciler.untrack(session);
        doubt.delete(session);
        const callsGone = letGoOfCalls();
        void releases.drain();
        // Closed before the avatar's logout runs: nothing from this process follows the portal's `ended`.
        if (queued === "flush") mind.flushAndClose();
        else if (queued === "end") mind.end("avatar-failed");
        else mind.close();
        await supervised.stop();
        // Still hosted, to a portal's question, until the avatar is logged out and no call can
        // reach this process: the portal then waits for the release's answer, which says which
        // calls this process took (a slow logout let the portal finish without it, and answer
        // calls this process had answered).
        await callsGone;
        hosted.delete(session);
      })());
    // The supervisor gave up: the portal ends the session (`avatar-failed`) and then releases us.
    // A portal that does not say `{"ok": true}` (none answers, or one built from PROTOCOL.md alone
    // refuses the subject) will not: this process lets go on its own, says so on the release
    // subject, and tells the Mind itself (an outside portal saw the session live on, its calls
    // answered SessionEnded or met silence, and no `ended`). One that acknowledged and then sends
    // no release within failedTimeoutMs is let go of too, the `ended` left to it.
    const reportFailed = async () => {
      const failedTimeoutMs = options.failedTimeoutMs ?? 5_000;
      let acknowledged = false;
      try {
        // `seq`: the last notification's number, for the portal's `ended` to follow it.
        acknowledged = decodeObject(await bus.request(`${base}.failed`, encode({ seq: mind.lastSeq }), { timeoutMs: failedTimeoutMs }))["ok"] === true;
      } catch {
        // Nobody answered, or garbage: not acknowledged.
      }
      if (!acknowledged) {
        // As at a stop: the calls drained first, so the notice lists every call this process took.
        await letGoOfCalls();
        announceRelease("avatar-failed", taken.list(session));
        await release("end");
        return;
      }
      setTimeout(() => void release(), failedTimeoutMs).unref?.();
    };
    const supervised = new SupervisedAvatar({
      ...options.supervision,
      grant,
      restart: () => requestAvatar(request, mind),
      onGiveUp: () => void reportFailed(),
      logger,
    });
    // Back from a lost connection the session may be over at its portal: a call waits for the answer.
    const answerInDoubt = async (body: Record<string, unknown>) => {
      const settled = await doubt.settled(session, CALL_DOUBT_WAIT_MS);
      if (released) throw new SessionEnded();
      if (!settled) throw new AvatarError("the session's portal has not confirmed it yet; try again");
      return answerCall(body, supervised, logger);
    };
    // Exactly the two subjects PROTOCOL.md gives the realm, not `P.session.ID.>`: a ping or logout
    // for a session whose portal died must find no responders, not a realm that never answers them.
    // The answers are returned, not voided, so that the bus's drain waits for them: a release
    // the portal sent just before this process stopped was answered after the connection had
    // closed, and the portal's logout waited out its 5 s (outside ops probe).
    const calls = bus.subscribe(`${base}.call`, (message) => {
      if (message.reply !== undefined) taken.note(session, message.reply);
      if (released) return respondTo(message, () => Promise.reject(new SessionEnded()), { logger, fallback });
      if (doubt.inDoubt(session)) return respondTo(message, answerInDoubt, { logger, fallback });
      // A portal found without responders (killed, or reconnecting): the session's pings and
      // logout meet no-responders there, so its calls must not go on acting as if all were well
      // (an outside probe saw them succeed for 9 s after the portal's SIGKILL).
      if (watchedPortal?.known() === "unreachable") return respondTo(message, () => Promise.reject(new AvatarError(PORTAL_UNREACHABLE)), { logger, fallback });
      return respondTo(message, (body) => answerCall(body, supervised, logger), { logger, fallback });
    });
    // The answer goes out once the calls are drained (no call can reach this process any more), and
    // lists the ones it took: a call the portal saw while the session logged out is the portal's
    // to answer exactly when it is not in the list. Before, the portal answered SessionEnded to
    // calls this process carried out (an outside probe: 37 of 167 sessions in one run), and
    // deciding by arrival order met silence when the answer came on another connection.
    const releases = bus.subscribe(`${base}.release`, (message) => {
      // A plain publish is a notice (it has a `reason`: this process's own, heard back) or an order
      // from a portal that does not wait for the answer: PROTOCOL.md does not say that the
      // portal's order is a request (an outside portal's published `{}` was ignored, 10 of 10).
      if (message.reply === undefined) return isReleaseOrder(message.data) ? release("flush") : undefined;
      return respondTo(
        message,
        async () => {
          // Done once the avatar is logged out and the calls are drained.
          await release("flush");
          // `seq`: the last notification's number, for the portal's `ended` to follow it.
          return encode({ ok: true, answered: taken.list(session), seq: mind.lastSeq });
        },
        { logger, fallback },
      );
    });
    // A portal that dies takes its sessions with it: nobody would ever release this avatar.
    // One that was only cut off may have ended the session meanwhile: the reconciler asks.
    const portal = request.portal === undefined ? undefined : subjects.portalInstance(request.portal);
    const watchedPortal =
      portal === undefined
        ? undefined
        : portals.watch(portal, () => {
            logger.warn({ event: "portal-lost", session: shortId(session) }, "the portal hosting the session is gone; releasing its avatar");
            // Best effort: core NATS keeps it for nobody, so only a portal back this instant hears it.
            announceRelease("avatar-failed");
            // The same reason such a portal, back later, would give: a client that hears `ended`
            // twice (a portal only cut off, not dead) hears the same thing twice.
            void release("end");
          });
    if (portal !== undefined) {
      reconciler.track(
        session,
        portal,
        () => {
          logger.warn({ event: "session-over", session: shortId(session) }, "the portal says the session is over; releasing its avatar");
          void release();
        },
        () => doubt.confirm(session),
      );
      doubt.add(session, mind);
    }
    // Tells the portal hosting the saga that this process let go of the avatar, and why; with the
    // calls it took, once it takes no more, the portal answers exactly the others.
    const announceRelease = (reason: "shutdown" | "avatar-failed", answered?: string[]) => {
      try {
        bus.publish(`${base}.release`, encode(answered === undefined ? { reason } : { reason, answered, seq: mind.lastSeq }));
      } catch {
        // The connection is gone already: the portal's instance watch will notice.
      }
    };
    hosted.set(session, {
      release,
      shutdown: async () => {
        // No call reaches this process once its calls are drained, and those it took are answered:
        // what they and the avatar said goes out before the notice that ends the session.
        await letGoOfCalls();
        mind.flush();
        announceRelease("shutdown", taken.list(session));
        await release("drop");
      },
    });
  };

  const subscription = serveRequests(
    bus,
    subjects.realmAvatar(options.name),
    async (body) => {
      const request = parse(realmRequest, body);
      if (request.mind !== null && !isSafeMindSubject(request.mind, subjects.prefix)) throw new BadRequest("invalid mind subject");
      if (!request.anonymous && request.avatarId === null) throw new BadRequest("invalid avatarId: required");
      // Taken before the realm is asked: two requests for one session at once both made avatars,
      // and every call then got two answers (an outside portal).
      if (hosted.has(request.session) || granting.has(request.session)) throw new BadRequest("session already hosted");
      granting.add(request.session);
      try {
        const mind = new RemoteMind(bus, request.mind, request.session, options.mindLimits);
        const grant = await requestAvatar(request, mind);
        host(request, grant, mind);
        return okReply({ interface: grant.interface, instance });
      } finally {
        granting.delete(request.session);
      }
    },
    { queue: subjects.realmQueue(options.name), logger, fallback: () => new LoginFailed() },
  );
  // Portals watching this process's avatars ask here; once the process is gone NATS answers
  // no-responders, and they end its sessions (instance-watch.ts).
  // With `sessions`, they also ask which of theirs this process no longer hosts (session-reconciler.ts).
  const liveness = serveRequests(
    bus,
    subjects.realmInstance(options.name, instance),
    (body) => answerSessionsQuestion(body, (id) => hosted.has(id), (sessions, calls) => taken.took(sessions, calls)),
    { logger, fallback },
  );
  await bus.flush();

  return {
    name: options.name,
    instance,
    get hosted() {
      return hosted.size;
    },
    async stop() {
      // Avatar requests already on their way are answered (their sessions are then released below).
      await subscription.drain();
      // The portals end these sessions with `shutdown` rather than finding their avatars gone.
      await Promise.all([...hosted.values()].map((h) => h.shutdown()));
      // Last: until every avatar is released, portals must not take this process for dead, and
      // they ask it which calls it took. From here a portal asking after a call finds the process
      // gone, and the shutdown notice's list, which came first, decides.
      liveness.unsubscribe();
      portals.close();
      reconciler.stop();
      doubt.close();
    },
  };
}

/** A release published without a reply subject that orders one: a JSON object without a notice's `reason`. */
function isReleaseOrder(data: Uint8Array): boolean {
  try {
    return !("reason" in decodeObject(data));
  } catch {
    return false;
  }
}
