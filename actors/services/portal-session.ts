/** One live session on the portal: its `P.session.ID.>` subscription, heartbeats, supervision, logout and its end. */
import type { Bus, BusMessage } from "../../transports/bus.ts";
import { waitAtMost } from "../../transports/wait-at-most.ts";
import type { AvatarId } from "../checkers/checker.ts";
import { AvatarError, BadRequest, SessionEnded } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { LoginSession, SessionEnd } from "../login-session.ts";
import type { LoginResult, Mind, Realm } from "../realm.ts";
import { checkedGrant } from "../realm-grant.ts";
import { SupervisedAvatar, type SupervisionOptions } from "../supervision/supervised-avatar.ts";
import { decodeObject, okEmpty } from "../wire/codec.ts";
import { shortId } from "../wire/identifiers.ts";
import type { Subjects } from "../wire/subjects.ts";
import { answerCall } from "./avatar-call.ts";
import { RemoteAvatar, releaseAnswer } from "./remote-avatar.ts";
import type { HostState } from "./instance-watch.ts";
import type { RemoteMind } from "./remote-mind.ts";
import { respondTo } from "./responder.ts";
import { EndedSessionResponder, type EndedSessionLinger, type SessionReceiver } from "./ended-sessions.ts";
import { subscribeRouted, type ReservedSession } from "./session-subject-reserve.ts";
import { SessionLogger } from "./session-logger.ts";
import { processStallWatch } from "./stall-watch.ts";
import { TAKEN_CALLS_WINDOW_MS } from "./taken-calls.ts";

/** What a call hears while the realm process hosting its avatar has no responders, not yet for long enough to count as gone. */
const UNREACHABLE = "the realm hosting the avatar is not reachable; try again";
/** What a call hears that the realm process hosting its avatar did not receive (it was cut off meanwhile). */
const MISSED = "the realm hosting the avatar did not receive the call; try again";
const TOO_EARLY = "the call came before the session was live; try again";
/**
 * How old a call may be when the realm's "not taken, though hosted" comes back for the portal to
 * answer it: a realm remembers the calls it took for TAKEN_CALLS_WINDOW_MS, so one asked about
 * later may have taken it and forgotten. Half of it leaves room for the time the call waited
 * before this process handled it (a test run on two busy cores saw calls the realm had answered
 * `ok` answered `AvatarError` here too, their audits late).
 */
const MISSED_VERDICT_MAX_AGE_MS = TAKEN_CALLS_WINDOW_MS / 2;
/** How long a call whose realm was found unreachable waits for a release notice that may list it. */
const NOTICE_GRACE_MS = 500;

export interface HostedSession {
  readonly shortId: string;
  /** Resolves once the session is over: avatar logged out, subscription gone, `ended` published. */
  readonly ended: Promise<SessionEnd>;
  shutdown(): Promise<SessionEnd>;
  /** Ends the session with reason `revoked`. */
  revoke(): Promise<SessionEnd>;
  /** Keeps the session at least `graceMs` more (the portal could not hear its client for a while: deafness-guard.ts). */
  hold(graceMs: number): void;
}

export interface HostSessionInput {
  readonly id: string;
  readonly session: LoginSession;
  readonly grant: LoginResult;
  readonly mind: RemoteMind;
  readonly logger: Logger;
  /**
   * The realm that granted a local avatar, asked again (same avatarId, mind, interfaces) to
   * restart it after a crash. Absent: a local avatar's first crash ends the session.
   */
  readonly realm?: Realm;
  /** Restart policy and call wait for a local avatar (a realm service supervises its own). */
  readonly supervision?: SupervisionOptions;
  /** Keeps the ended session's subjects answered a while; absent: drained as soon as it ends. */
  readonly linger?: EndedSessionLinger | undefined;
  /**
   * The live sessions of the portal instance, by id: this one leaves it once it is over. (Here,
   * not in a `.then` of the caller's: a promise, a closure and its context less per live session.)
   */
  readonly registry?: Map<string, HostedSession>;
  /** The session's identifier with its subscription made beforehand (session-subject-reserve.ts); absent: subscribed here. */
  readonly reserved?: ReservedSession;
}

/**
 * Subscribes the session's own subjects (one subscription, so a request for a session that is
 * not live gets no-responders, never silence). With a local avatar the portal answers `call`
 * through the avatar's supervisor; with a remote one the realm's process answers and supervises,
 * the portal only counts calls as activity and hears `failed` when the realm's supervisor gives up.
 */
export function hostSession(bus: Bus, subjects: Subjects, input: HostSessionInput): HostedSession {
  return new PortalSession(bus, input.reserved?.base ?? subjects.session(input.id), input);
}

const avatarErrorFallback = () => new AvatarError();

/**
 * One live session, as an object rather than a dozen closures: a portal holds ~100k of these,
 * and methods on a prototype cost nothing per session where each closure and its context did.
 */
class PortalSession implements HostedSession, SessionReceiver {
  readonly shortId: string;
  readonly ended: Promise<SessionEnd>;
  readonly #base: string;
  readonly #session: LoginSession;
  readonly #log: SessionLogger;
  readonly #serve: { readonly logger: Logger; readonly fallback: () => AvatarError };
  readonly #remote: RemoteAvatar | undefined;
  readonly #supervised: SupervisedAvatar | undefined;
  /** The connection this session's subscription is on. */
  readonly #bus: Bus;

  constructor(bus: Bus, base: string, input: HostSessionInput) {
    const { id, session, grant, mind, logger, realm } = input;
    this.#bus = bus;
    this.#base = base;
    this.#session = session;
    this.shortId = shortId(id);
    this.#log = new SessionLogger(logger, this.shortId);
    this.#serve = { logger: this.#log, fallback: avatarErrorFallback };
    this.#remote = grant.avatar instanceof RemoteAvatar ? grant.avatar : undefined;
    this.#remote?.onHostLost(() => {
      this.#log.warn({ event: "realm-lost" }, "the realm process hosting the avatar is gone, or no longer hosts it");
      this.#avatarFailed();
    });
    this.#supervised = this.#remote
      ? undefined
      : new SupervisedAvatar({
          ...input.supervision,
          grant,
          restart: realm && (() => requestAgain(realm, session)),
          onGiveUp: () => this.#avatarFailed(),
          logger: this.#log,
        });
    // Through `route`, so that once the session is over a small responder takes its place and
    // this object (the saga, the avatar) is garbage while the subscription lingers.
    const reserved = input.reserved;
    const route: { to: SessionReceiver } = reserved?.route ?? { to: this };
    route.to = this;
    const subscription = reserved?.subscription ?? subscribeRouted(bus, `${base}.>`, route);
    this.ended = session.ended.then(async (end) => {
      // The saga logged out the avatar it was granted; a restarted one is logged out here.
      await this.#supervised?.stop();
      input.registry?.delete(input.id);
      // A realm service numbered the notifications: `ended` follows its last number, when it said it.
      mind.end(end.reason ?? "logout", this.#remote === undefined ? undefined : (this.#remote.lastSeq ?? null));
      this.#log.info({ event: "session-ended", reason: end.reason }, "session ended");
      // While a release is still under way (one sent without waiting, after a `failed`), the
      // realm may be taking calls: they wait here for its answer's list, which decides them. The
      // small responder answered them SessionEnded at once, beside the realm (an outside probe:
      // 2–3 of 300 calls sent in the milliseconds after a `failed`). The list goes on deciding
      // after that: a call the realm took can still arrive here later.
      const remote = this.#remote;
      const reason = end.reason ?? "logout";
      if (remote === undefined) route.to = new EndedSessionResponder(base, this.#serve, reason);
      else {
        void remote.releaseSettled().then(() => {
          // Without the realm's list (someone else's release order got its answer) the realm
          // process may still answer calls it drains: each call is asked about, as while the
          // session ended, for the linger. Answered SessionEnded at once, 4–10 of 200 calls got
          // that answer twice (an outside fuzzer). A realm known gone answers nothing, and one
          // that named no instance cannot be asked: the list, or nothing, decides then.
          const ask = !remote.listedCalls && !remote.hostUnanswering && remote.audits;
          route.to = new EndedSessionResponder(
            base,
            this.#serve,
            reason,
            nonEmpty(remote.takenCalls),
            ask ? (message) => this.#answerEnding("call", message) : undefined,
            (reply) => remote.isProbe(reply),
          );
        });
      }
      // Drained, not dropped, either way: requests already on their way get SessionEnded (or ok
      // for a logout).
      if (input.linger) input.linger.hold(subscription);
      else void subscription.drain();
      return end;
    });
  }

  shutdown(): Promise<SessionEnd> {
    return this.#live() ? this.#session.shutdown().then(() => this.ended) : this.ended;
  }

  revoke(): Promise<SessionEnd> {
    return this.#live() ? this.#session.revoke().then(() => this.ended) : this.ended;
  }

  hold(graceMs: number): void {
    if (this.#serving()) this.#session.hold(graceMs);
  }

  /** A session already over is not sent anything more (its saga has stopped). */
  #live(): boolean {
    return this.#session.actor.getSnapshot().status === "active";
  }

  #avatarFailed(): void {
    this.#session.actor.send({ type: "AVATAR_FAILED" });
  }

  // Only a session in `active` takes requests; one logging out or over (its subscription then
  // drains) still answers every request that reaches it, never drops one.
  #serving(): boolean {
    return this.#session.isActive && this.#session.actor.getSnapshot().value === "active";
  }

  /**
   * A message that came while the login was under way. A call then may have reached the portal
   * alone (a realm service subscribes the session once it hosts the avatar): one the realm cannot
   * say it took is answered `AvatarError` here, where it met silence (an outside probe, with a
   * realm built from PROTOCOL.md alone).
   */
  receiveHeld(message: BusMessage): Promise<void> | undefined {
    const remote = this.#remote;
    if (remote === undefined || !this.#serving() || message.reply === undefined || message.subject !== `${this.#base}.call`) return this.receive(message);
    this.#session.touch();
    void this.#answerUnlessTaken(remote, message, true);
    return undefined;
  }

  /** Returns the answer's promise where one is pending, so that draining the bus waits for it. */
  receive(message: BusMessage): Promise<void> | undefined {
    // The portal's own probe of a realm that named no instance: the realm's to answer, not a call.
    // Heard here, it was routed: a call heard after it is judged by its answer.
    if (this.#remote?.isProbe(message.reply) === true) {
      this.#remote.heardOwn(message.reply!);
      return undefined;
    }
    const verb = message.subject.slice(this.#base.length + 1);
    if (!this.#serving()) return this.#answerEnding(verb, message);
    const serve = this.#serve;
    const supervised = this.#supervised;
    const remote = this.#remote;
    switch (verb) {
      case "ping":
        // Activity on arrival, like a call, whatever the payload (a garbage ping still gets BadRequest).
        this.#session.touch();
        remote?.pinged();
        void respondTo(message, () => okEmpty(), serve);
        return;
      case "call":
        this.#session.touch();
        if (supervised) return respondTo(message, (body) => answerCall(body, supervised, this.#log), serve);
        // The realm's process answers; when it cannot, nobody would, so the portal does.
        else if (message.reply !== undefined) void this.#answerUnlessTaken(remote!, message);
        return;
      case "logout":
        // Answered once the avatar is logged out and `ended` is on its way to the Mind.
        return respondTo(message, async () => (await this.#session.logout(), await this.ended, okEmpty()), serve);
      case "release":
        // The realm's process answers release for remote avatars; clients may not send it.
        if (supervised) void respondTo(message, () => Promise.reject(new BadRequest("release is not a client subject")), serve);
        // A release the portal did not send (its own comes while logging out) leaves no avatar
        // behind the session: end it, or its calls would meet silence until the timeout.
        // Garbage is the realm's to refuse (BadRequest), and changes nothing here either: it
        // keeps the avatar (an outside probe saw a garbage release end the session at the portal
        // while the realm kept answering its calls, for 45 s).
        else if (this.#session.isActive && isJsonObject(message.data)) {
          // An order to the realm (a request) makes it release and answer: the portal's own
          // release would find it no longer listening, so none is sent, and the calls held
          // meanwhile are asked about one by one. A notice (a plain publish) is the realm's own:
          // it let go, and says why (`shutdown`: it stops; `avatar-failed`: it took this portal
          // for dead) and, when it stops, which calls it took; the portal answers the others.
          remote!.markReleased(message.reply === undefined ? releaseAnswer(message.data) : undefined);
          const reason = message.reply === undefined ? releaseReason(message.data) : undefined;
          if (reason === "shutdown") void this.#session.shutdown();
          else if (reason === "avatar-failed") this.#avatarFailed();
          else void this.#session.logout();
        }
        return;
      case "failed":
        // The realm service's supervisor gave up on its avatar (an internal subject, like release).
        if (supervised) void respondTo(message, () => Promise.reject(new BadRequest("failed is not a client subject")), serve);
        else {
          // Acted on as a request or as a plain publish alike (outside probe: a publish was
          // ignored). The session ends at once: its logout does not wait on a release that a realm
          // whose supervisor gave up may never answer. A release still goes out, unawaited: a
          // `failed` that did not come from the realm's supervisor (an outside probe sent one)
          // left the realm answering the ended session's calls for 45 s, and its answer's list
          // decides the calls held meanwhile. Garbage is refused (BadRequest) and changes nothing.
          if (isJsonObject(message.data) && this.#session.isActive) {
            remote!.markReleased(releaseAnswer(message.data));
            this.#avatarFailed();
            remote!.orderRelease();
          }
          void respondTo(message, () => okEmpty(), serve);
        }
        return;
      default:
        void respondTo(message, () => Promise.reject(new BadRequest(`unknown session subject: ${verb}`)), serve);
    }
  }

  /**
   * A call the realm's process should have taken: answered here exactly when it did not. A check
   * that timed out may have reached a process that died holding it: ask once more. An answer is
   * trusted for 250 ms, and the process may have died since: the call itself is asked about
   * (batched with other calls), and the realm says whether it took it.
   */
  async #answerUnlessTaken(remote: RemoteAvatar, message: BusMessage, held = false): Promise<void> {
    const serve = this.#serve;
    const reply = message.reply;
    const receivedAt = performance.now();
    let state = await remote.hostState();
    if (state === "busy") state = await untilDecided(remote);
    if (state === "alive") {
      const fate = await remote.auditCall(reply);
      switch (fate) {
        // Its own to answer, even with a result after a SessionEnded from here would have
        // contradicted it (outside probe); so are "hosted" and "released" from a realm that does
        // not list its calls: it may have taken the call before it let go, and its release
        // notice, or the reconciler, ends the session.
        case "took":
          return;
        case "hosted":
        case "released":
          // A call held while the login was under way may have come before the realm subscribed
          // the session: one that cannot say whether it took it would leave it to silence.
          if (held) void respondTo(message, () => Promise.reject(new AvatarError(TOO_EARLY)), serve);
          return;
        // Not taken, by a process that let go of the session (it stops, or gave up its avatar):
        // its notice ends the session here too.
        case "missed-ended":
          void respondTo(message, () => Promise.reject(new SessionEnded()), serve);
          return;
        // Not taken, though the session is hosted: lost while that process was cut off. Unless
        // this process was itself held (SIGSTOP, a paused VM) around the call's arrival: the call
        // may be older than the realm remembers its calls (TAKEN_CALLS_WINDOW_MS), and it most
        // likely answered it (an outside probe stopping a portal for 8–15 s saw 84–157 calls
        // answered ok by the realm and then AvatarError from the portal on waking). Its client
        // has long given up on the others.
        case "missed-live":
          if (processStallWatch.stalledAround(receivedAt, TAKEN_CALLS_WINDOW_MS)) return;
          if (performance.now() - receivedAt > MISSED_VERDICT_MAX_AGE_MS) return;
          void respondTo(message, () => Promise.reject(new AvatarError(MISSED)), serve);
          return;
        case "unreachable":
          // Told to the watch too, which had trusted its last answer: the session's logout
          // then sends no release that only the portal's own subscription would hear.
          void remote.recheckHost();
          state = "unreachable";
          break;
        case "unknown":
          // No answer in time: a process busy with the call, or one dying with it (an outside
          // probe killing realms saw such calls never answered). Asked again, with the other
          // calls of the moment, until it answers or is found gone.
          state = await untilDecided(remote);
          break;
      }
    }
    if (state !== "gone" && state !== "unreachable") return;
    // A process that stopped cleanly listed the calls it took in its shutdown notice, which came
    // before its liveness went: a call it took is its own, even though it cannot be asked now.
    // The notice comes on this session's connection, the verdict maybe on another (a RemoteRealm
    // given a bus of its own): once the server answers a PING here, a notice it routed before the
    // verdict has been heard (test runs on busy cores saw calls the realm had answered `ok` get
    // `AvatarError` here too, the notice a moment behind).
    if (!remote.listedCalls) {
      await this.#bus.flush().catch(() => undefined);
      // Still none: a realm that stops may send it a moment after its process no longer answers
      // (a test run on two loaded cores saw three calls the realm had answered `ok` get
      // `AvatarError` here after the PING). A truly unreachable realm's calls wait that long more.
      if (!remote.listedCalls && state === "unreachable") await waitAtMost(remote.whenReleased(), NOTICE_GRACE_MS);
    }
    if (remote.tookCall(reply)) return;
    const error = state === "gone" || remote.listedCalls ? new SessionEnded() : new AvatarError(UNREACHABLE);
    void respondTo(message, () => Promise.reject(error), serve);
  }

  /** A request to a session logging out or over: logout is done (once it is), anything else has ended. */
  #answerEnding(verb: string, message: BusMessage): Promise<void> | undefined {
    if (verb === "logout") return respondTo(message, async () => (await this.ended, okEmpty()), this.#serve);
    const remote = this.#remote;
    if (verb === "call" && remote !== undefined) {
      // The realm process may have taken this call too, and answers it (a result, or
      // SessionEnded); a SessionEnded from here contradicted results it gave (outside probe). Its
      // answer to the release lists the calls it took, once it can take no more: this answers
      // exactly the others, as does its shutdown notice. Without such a list (a realm built from
      // PROTOCOL.md alone, its death, a release that went unanswered) it answers them all, but
      // those a realm process that is still there says it took: never silence.
      const decide = async () => {
        if (remote.tookCall(message.reply)) return;
        // No list (a realm that let go on its own, its supervisor having given up): the realm
        // process, while it is there, says whether it took the call.
        if (!remote.listedCalls && message.reply !== undefined && (await remote.auditCall(message.reply)) === "took") return;
        return respondTo(message, () => Promise.reject(new SessionEnded()), this.#serve);
      };
      // A release under way is waited for (at most its own 5 s): its list decides, even after a
      // notice of the realm's own marked the avatar released first.
      return Promise.race([remote.whenReleased(), this.ended])
        .then(() => remote.releaseSettled())
        .then(decide);
    }
    // The portal's own `release` to a realm service, seen on its way: the realm answers it. A
    // notice (no reply subject) is the realm's own: it let go of the avatar, so the logout's
    // release need not wait for an answer that may now never come.
    if (verb === "release" && !this.#supervised) {
      if (message.reply === undefined) this.#remote?.markReleased(releaseAnswer(message.data));
      return undefined;
    }
    return respondTo(message, () => Promise.reject(new SessionEnded()), this.#serve);
  }
}

function isJsonObject(data: Uint8Array): boolean {
  try {
    decodeObject(data);
    return true;
  } catch {
    return false;
  }
}

/** An empty list is not kept: most sessions end with no call in flight, and ~100k linger at once. */
function nonEmpty(calls: ReadonlySet<string> | undefined): ReadonlySet<string> | undefined {
  return calls !== undefined && calls.size > 0 ? calls : undefined;
}

function releaseReason(data: Uint8Array): unknown {
  try {
    return decodeObject(data)["reason"];
  } catch {
    return undefined;
  }
}

/** How many times a realm process that does not answer is asked again (each ask waits up to 2 s) before the portal leaves the call to it. */
const DECIDE_TRIES = 8;

/**
 * The hosting process's state once it is not just `busy` (asked again, joined with the other
 * calls' checks of the moment), or `busy` after DECIDE_TRIES asks. Only `unreachable` and `gone`
 * make the portal answer a call: a process that answers has the call and answers it itself.
 */
async function untilDecided(remote: RemoteAvatar): Promise<HostState> {
  let state: HostState = "busy";
  for (let tries = 0; tries < DECIDE_TRIES && state === "busy"; tries++) state = await remote.hostState();
  return state;
}

/** The restart: the same realm asked for the same avatarId, mind (null when there was none) and interfaces. */
async function requestAgain(realm: Realm, session: LoginSession): Promise<LoginResult> {
  const { avatarId, mind, interfaces } = session.actor.getSnapshot().context;
  return checkedGrant(await realm.requestAvatar(avatarId as AvatarId, mind as Mind | null, ...interfaces), interfaces);
}
