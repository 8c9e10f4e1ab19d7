/** A realm served elsewhere on the bus, used by the Portal like any local realm. */
import type { Bus } from "../../transports/bus.ts";
import { checkWholeNumber } from "../option-checks.ts";
import { BusClosed, NoResponders, RequestTimeout } from "../../transports/errors.ts";
import { askRidingOutReconnects, watchReconnects } from "../../transports/reconnect-clock.ts";
import { ANONYMOUS, type AvatarId } from "../checkers/checker.ts";
import { fromWireError, isWireError, LoginFailed, PortcullisError } from "../errors.ts";
import type { LoginResult, Mind, Realm } from "../realm.ts";
import { decodeObject, encode } from "../wire/codec.ts";
import { newIdentifier } from "../wire/identifiers.ts";
import { lostNotice, NotifySequence } from "../wire/notify-sequence.ts";
import { isInstanceId, subjectsFor, type Subjects } from "../wire/subjects.ts";
import { InstanceWatch, type InstanceWatchOptions } from "./instance-watch.ts";
import { answerSessionsQuestion, SessionReconciler, type SessionReconcilerOptions } from "./session-reconciler.ts";
import { serveRequests } from "./responder.ts";
import { silentLogger } from "../logger.ts";
import { CallAudit } from "./call-audit.ts";
import { RemoteAvatar, releaseAnswer } from "./remote-avatar.ts";
import { RemoteMind } from "./remote-mind.ts";
import { ServedProbe } from "./served-probe.ts";
import { SessionCallProbe, type SessionCallProbeOptions } from "./session-call-probe.ts";
import { ReleaseRetries, type ReleaseRetriesOptions } from "./release-retries.ts";

export interface RemoteRealmOptions {
  readonly prefix?: string;
  /** How long to wait for the realm's answer; long, so a late avatar can still be released. */
  readonly timeoutMs?: number;
  /** How the realm processes hosting avatars are watched for death (see `InstanceWatch`). */
  readonly instanceWatch?: InstanceWatchOptions;
  /** How often they are asked which of the avatars they no longer host (see `SessionReconciler`). */
  readonly reconcile?: SessionReconcilerOptions;
  /**
   * How often an avatar request still unanswered asks whether anyone serves the realm any more
   * (default 1000 ms; served-probe.ts): a realm killed holding logins fails them in about that long.
   */
  readonly probeEveryMs?: number;
  /**
   * How the sessions of a realm process that names no `instance` are watched through their call
   * subject while they make calls (see `SessionCallProbe`): such a process found gone ends them.
   */
  readonly callProbe?: SessionCallProbeOptions;
  /** When a release the realm process did not answer is sent again (see `ReleaseRetries`). */
  readonly releaseRetries?: ReleaseRetriesOptions;
}

/** A library-face Portal's process, as realm services see it: its instance id and its live sessions. */
interface LibraryFaceInstance {
  readonly id: string;
  readonly sessions: Set<string>;
  /** Resolves once its subscription is at the server. */
  readonly ready: Promise<void>;
}

/** How long a logout waits for the realm to release the avatar (a live realm answers at once). */
const RELEASE_TIMEOUT_MS = 5_000;

/**
 * Asks `P.realm.NAME.avatar` for an avatar. The avatar stays in the realm's process, reachable
 * only through the session's subjects; what comes back is a `RemoteAvatar`. Rejects with the
 * realm's `NoSuchInterface`, or `LoginFailed` when the realm is missing, slow or broken.
 */
export class RemoteRealm implements Realm {
  readonly #subjects: Subjects;
  readonly #timeoutMs: number;
  readonly #watch: InstanceWatch;
  readonly #reconciler: SessionReconciler;
  readonly #audit: CallAudit;
  readonly #probe: ServedProbe;
  readonly #callProbeOptions: SessionCallProbeOptions | undefined;
  #callProbe: SessionCallProbe | undefined;
  readonly #retries: ReleaseRetries;
  /** Answers realm services for the library face's sessions (`libraryFaceInstance`); made at its first login. */
  #libraryFace: LibraryFaceInstance | undefined;

  constructor(private readonly bus: Bus, readonly name: string, options: RemoteRealmOptions = {}) {
    checkWholeNumber("timeoutMs", options.timeoutMs, 1);
    this.#subjects = subjectsFor(options.prefix);
    this.#probe = new ServedProbe(bus, this.#subjects.realmAvatar(name), options.probeEveryMs);
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#watch = new InstanceWatch(bus, options.instanceWatch);
    this.#reconciler = new SessionReconciler(bus, options.reconcile);
    this.#audit = new CallAudit(bus);
    this.#callProbeOptions = options.callProbe;
    this.#retries = new ReleaseRetries(bus, this.#subjects, options.releaseRetries);
    watchReconnects(bus);
    // Back from a lost connection, realm processes may have let go of avatars meanwhile (they
    // took this portal for gone): ask them at once rather than at the next round.
    bus.onConnectionChange?.((connected) => {
      if (connected) void this.#reconciler.reconcile(true);
    });
  }

  async requestAvatar(avatarId: AvatarId, mind: Mind | null, ...interfaces: string[]): Promise<LoginResult> {
    // The runtime portal hands over its RemoteMind (session id and mind subject); a library-face
    // caller's own mind gets a fresh session whose notifications are bridged to it.
    const session = mind instanceof RemoteMind ? mind.session : newIdentifier();
    const bridge = mind !== null && !(mind instanceof RemoteMind) ? this.#bridge(mind) : undefined;
    const mindSubject = mind instanceof RemoteMind ? mind.subject : (bridge?.subject ?? null);
    // A library-face Portal's session is this process's to vouch for: the realm service asks here
    // whether it is still live, and lets go of its avatar once this process is gone.
    const libraryFace = mind instanceof RemoteMind ? undefined : await this.#libraryFaceInstance();
    libraryFace?.sessions.add(session);
    const portal = mind instanceof RemoteMind ? mind.portal : libraryFace?.id;
    const request = {
      avatarId: avatarId === ANONYMOUS ? null : avatarId,
      anonymous: avatarId === ANONYMOUS,
      interfaces,
      session,
      mind: mindSubject,
      ...(portal !== undefined && { portal }),
    };
    let reply: Record<string, unknown>;
    let probed = false;
    try {
      const encoded = encode(request);
      const attempt = () => {
        const asked = this.bus.request(this.#subjects.realmAvatar(this.name), encoded, { timeoutMs: this.#timeoutMs });
        // Delivered: only the probe's verdict, not the request's own no-responders, can follow.
        const gone = this.#probe.untilGone(asked).catch((error: unknown) => {
          probed = true;
          throw error;
        });
        return Promise.race([asked, gone]);
      };
      // Just after a nats-server restart the realm's process may be back later than this one; a
      // request nobody received is asked again for a moment. Never one the probe found gone after
      // it was delivered: that realm may still make the avatar for this session.
      reply = decodeObject(await askRidingOutReconnects(this.bus, attempt, { mayAskAgain: () => !probed }));
    } catch (error) {
      bridge?.close();
      libraryFace?.sessions.delete(session);
      if (error instanceof RequestTimeout) {
        // The realm may still create the avatar after we gave up: tell it to release it.
        this.#release(session).catch(() => undefined);
        throw new LoginFailed(`realm ${this.name} timed out`);
      }
      if (error instanceof NoResponders) {
        // Found gone by the probe while the request was out: a realm draining (it answers what it
        // took) or back from a blip may still make the avatar. Never leave one behind.
        if (probed) this.#release(session).catch(() => undefined);
        // The subject says where it looked: a realm started with another --prefix is the usual cause.
        throw new LoginFailed(`realm ${this.name} is unavailable: nobody serves ${this.#subjects.realmAvatar(this.name)}`);
      }
      if (error instanceof BusClosed) throw new LoginFailed("portal is shutting down");
      if (error instanceof PortcullisError) {
        // Garbage may still come from a realm that made the avatar: never leave one behind.
        this.#release(session).catch(() => undefined);
        throw new LoginFailed(`realm ${this.name} answered garbage`);
      }
      throw error;
    }
    if (reply["ok"] !== true) {
      bridge?.close();
      libraryFace?.sessions.delete(session);
      if (reply["ok"] === false && isWireError(reply["error"])) throw realmRefusal(this.name, fromWireError(reply["error"]), () => this.#release(session).catch(() => undefined));
      // A refusal we cannot read is garbage too: the realm may have made the avatar (an outside probe's did).
      this.#release(session).catch(() => undefined);
      throw new LoginFailed(`realm ${this.name} answered garbage`);
    }
    const chosen = reply["interface"];
    const avatar = new RemoteAvatar(this.bus, this.#subjects, session, this.#retries);
    // Realms that name their process (ours do; the field is optional on the wire) are watched for death.
    const instance = reply["instance"];
    if (isInstanceId(instance)) avatar.watchHost(this.#watch, this.#reconciler, this.#subjects.realmInstance(this.name, instance), this.#audit);
    // Others (a realm written from PROTOCOL.md alone) are asked through the session's call subject.
    else avatar.probeHost((this.#callProbe ??= new SessionCallProbe(this.bus, this.#callProbeOptions, () => this.#probe.nobodyServes())));
    const logout = async () => {
      try {
        // Not to a realm process known to be unreachable: the portal's own session subscription
        // matches `.release` too, so the request would wait out its timeout with the session
        // stuck logging out. The realm's reconciler (or its death) settles that avatar instead.
        // What is already known decides: every logout asking first would cost a round trip.
        // A realm process that lets go of the avatar meanwhile (it is stopping: its release notice
        // crossed ours, which then reaches only the portal's own subscription) ends the wait; so
        // does one that says it no longer hosts the session or is gone (a notice sent before this
        // portal subscribed the session, for a login that finished while the realm stopped, is
        // lost: an outside probe saw those logouts wait out the 5 s).
        if (!avatar.released && !avatar.hostUnanswering) {
          await Promise.race([this.#releaseHosted(avatar, RELEASE_TIMEOUT_MS), avatar.whenReleased(), lettingGo(avatar)]);
        }
      } finally {
        avatar.unwatchHost();
        // The realm's answer said its last number: notifications lost just before the end show too.
        bridge?.close(avatar.lastSeq);
        libraryFace?.sessions.delete(session);
      }
    };
    if (typeof chosen !== "string") {
      await logout();
      throw new LoginFailed(`realm ${this.name} answered garbage`);
    }
    return { interface: chosen, avatar, logout };
  }

  /** Asks the realm process to release the session's avatar; its answer, or undefined when nobody hosts it any more. */
  async #release(session: string, timeoutMs = this.#timeoutMs): Promise<Uint8Array | undefined> {
    try {
      return await this.bus.request(this.#subjects.sessionVerb(session, "release"), encode({}), { timeoutMs });
    } catch (error) {
      // Lost, perhaps (sent while the realm process was reconnecting): sent again until answered.
      if (error instanceof RequestTimeout) this.#retries.unanswered(session);
      // Nobody hosts the avatar any more: it is released already.
      if (!(error instanceof NoResponders)) throw error;
      return undefined;
    }
  }

  /**
   * A logout's release: the avatar is marked released with the calls the realm process says it
   * took (`answered`; it answers once it can take no more): of the calls the portal saw while the
   * session logged out, it answers exactly the others (`portal-session.ts`).
   */
  #releaseHosted(avatar: RemoteAvatar, timeoutMs: number): Promise<void> {
    const answered = this.#release(avatar.session, timeoutMs).then((data) => avatar.markReleased(data && releaseAnswer(data)));
    avatar.releasing(answered);
    return answered;
  }

  /**
   * This process as a portal instance (`P.portal.ID`) for the sessions of a library-face Portal,
   * which has no `servePortal` to answer for them: without it a realm service could not tell that
   * such a session was over, and kept its avatar for good once this process died.
   */
  async #libraryFaceInstance(): Promise<LibraryFaceInstance> {
    if (this.#libraryFace === undefined) {
      const id = newIdentifier();
      const sessions = new Set<string>();
      serveRequests(this.bus, this.#subjects.portalInstance(id), (body) => answerSessionsQuestion(body, (session) => sessions.has(session)), {
        logger: silentLogger,
        fallback: () => new LoginFailed(),
      });
      // In place before a realm service first asks there (it takes a portal without responders for gone).
      this.#libraryFace = { id, sessions, ready: this.bus.flush().catch(() => undefined) };
    }
    await this.#libraryFace.ready;
    return this.#libraryFace;
  }

  #bridge(mind: Mind): { subject: string; close(lastSeq?: number): void } {
    const subject = this.bus.inbox();
    const sequence = new NotifySequence();
    const subscription = this.bus.subscribe(subject, (message) => {
      try {
        const body = decodeObject(message.data);
        if (body["type"] !== "notify" || typeof body["event"] !== "string") return;
        // Some lost on the way (a reconnect): the Mind hears how many, as a client's does.
        const missed = sequence.missedBefore(body["seq"]);
        if (missed > 0) {
          const notice = lostNotice(missed);
          mind.notify(notice.event, notice.data);
        }
        mind.notify(body["event"], body["data"]);
      } catch {
        // Not a notification: nothing to deliver.
      }
    });
    const close = (lastSeq?: number) => {
      subscription.unsubscribe();
      const missed = lastSeq === undefined ? 0 : sequence.missedBefore(lastSeq + 1);
      if (missed > 0) {
        const notice = lostNotice(missed);
        mind.notify(notice.event, notice.data);
      }
    };
    return { subject, close };
  }
}

/** Resolves when the process hosting `avatar` says it no longer hosts the session, or is not there; never otherwise. */
function lettingGo(avatar: RemoteAvatar): Promise<void> {
  return avatar.auditCall().then((fate) => (fate === "released" || fate === "unreachable" ? undefined : new Promise<void>(() => {})));
}

/**
 * What a realm service's error reply to `avatar` means for the client. PROTOCOL.md has a realm
 * answer the avatar or `NoSuchInterface`, and `LoginFailed` is the code for a realm that failed
 * (or refused, as Twisted's `LoginDenied`: its message is passed on, a realm writes it for
 * clients). Any other code would tell the client something about its credentials or its session
 * that the realm cannot mean (an outside probe's realm answered `UnauthorizedLogin`,
 * `SessionEnded`, `RateLimited`…, and the client got each): it is `LoginFailed`, and the session
 * is released in case the realm made the avatar all the same.
 */
function realmRefusal(name: string, error: PortcullisError, release: () => void): PortcullisError {
  if (error.code === "NoSuchInterface") return error;
  if (error.code === "LoginFailed") return new LoginFailed(error.message);
  release();
  return new LoginFailed(`realm ${name} failed`);
}
