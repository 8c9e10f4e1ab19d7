/** A client's live session: calls to its avatar, heartbeats, notifications and logout. */
import type { Bus, BusSubscription } from "../../transports/bus.ts";
import { BusClosed, NoResponders } from "../../transports/errors.ts";
import { askRidingOutReconnects, watchReconnects } from "../../transports/reconnect-clock.ts";
import type { EndReason } from "../../machines/login-saga.ts";
import { fromWireError, SessionEnded } from "../errors.ts";
import { decodeObject, encode } from "../wire/codec.ts";
import { lostNotice, NotifySequence } from "../wire/notify-sequence.ts";
import type { Subjects } from "../wire/subjects.ts";
import { NotificationStream } from "./notification-stream.ts";

/** How long a session with a Mind waits for the portal's `ended` after a request found it over. */
const ENDED_GRACE_MS = 1000;

/** A notification the avatar sent to this session's Mind. */
export interface Notification {
  readonly event: string;
  readonly data: unknown;
}

export interface LoginReply {
  readonly session: string;
  readonly avatarId: string | null;
  readonly interface: string;
  readonly heartbeatMs: number;
  readonly anonymous?: boolean;
  readonly token?: string;
  readonly tokenExpiresAt?: number;
}

/**
 * What `PortalClient.login` resolves to. Pings every `heartbeatMs` on its own; `closed`
 * resolves with the end reason (from the Mind's `ended` message when there is a Mind).
 * Notifications reach the login's `mind` callback and every `notifications()` iterator.
 */
export class RemoteSession {
  readonly id: string;
  readonly avatarId: string | null;
  readonly anonymous: boolean;
  readonly interface: string;
  readonly heartbeatMs: number;
  /** The session token, when the login asked for one (`issueToken`). */
  readonly token: string | undefined;
  readonly closed: Promise<EndReason>;
  #end!: (reason: EndReason) => void;
  #over = false;
  #waitingForReason = false;
  #timer: NodeJS.Timeout | undefined;
  #mindSubscription: BusSubscription | undefined;
  #streams: Set<NotificationStream> | undefined;
  readonly #sequence = new NotifySequence();

  constructor(
    private readonly bus: Bus,
    private readonly subjects: Subjects,
    reply: LoginReply,
    mindSubscription: BusSubscription | undefined,
    private readonly onNotification?: (notification: Notification) => void,
  ) {
    this.id = reply.session;
    this.avatarId = reply.avatarId;
    this.anonymous = reply.anonymous === true;
    this.interface = reply.interface;
    this.heartbeatMs = reply.heartbeatMs;
    this.token = reply.token;
    this.#mindSubscription = mindSubscription;
    this.closed = new Promise((resolve) => (this.#end = resolve));
    watchReconnects(bus);
    this.#timer = setInterval(() => {
      this.ping().catch(() => undefined);
    }, this.heartbeatMs);
    // Heartbeats must not keep a process alive that has nothing else to do.
    this.#timer.unref();
  }

  /** Calls `method` on the avatar. Rejects with the avatar's error, or `SessionEnded`. */
  /** Safe to log: the session id is a capability and the token a credential, so neither appears. */
  toJSON(): Record<string, unknown> {
    return { session: `${this.id.slice(0, 6)}…`, avatarId: this.avatarId, interface: this.interface, token: this.token === undefined ? undefined : "[redacted]" };
  }

  /**
   * The avatar as a proxy: `session.avatar.move(3, 4)` is `session.call("move", 3, 4)`. Every
   * property is a remote method; only the avatar decides which exist (`NoSuchMethod` otherwise).
   */
  get avatar(): Record<string, (...args: unknown[]) => Promise<unknown>> {
    return new Proxy({} as Record<string, (...args: unknown[]) => Promise<unknown>>, {
      // `then` stays undefined so the proxy is not mistaken for a promise by `await`.
      get: (_target, method) => (typeof method === "string" && method !== "then" ? (...args: unknown[]) => this.call(method, ...args) : undefined),
    });
  }

  async call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    const reply = await this.#request("call", { method, args });
    return reply["result"] as T;
  }

  /** Counts as activity; rejects with `SessionEnded` when the session is over. */
  async ping(): Promise<void> {
    await this.#request("ping", {});
  }

  /** Logs out; resolves once the avatar is logged out. Safe to call twice. */
  async logout(): Promise<void> {
    if (this.#over) return;
    try {
      await this.#request("logout", {});
    } catch (error) {
      if (!(error instanceof SessionEnded)) throw error;
    }
    this.ended("logout");
  }

  /**
   * The session's notifications, in order, from now until the session ends (then the loop
   * ends). Only a login with a Mind (`mind` callback or `mind: true`) receives any; several
   * iterators each get every notification.
   */
  notifications(): AsyncIterableIterator<Notification> {
    const stream = new NotificationStream((s) => this.#streams?.delete(s));
    if (this.#over) stream.end();
    else (this.#streams ??= new Set()).add(stream);
    return stream;
  }

  /**
   * Hands one notification from the Mind to the callback and the iterators (the client calls
   * this), after `{ event: "dropped", data: { count, cause: "lost" } }` when its `seq` shows that
   * some before it never arrived.
   */
  deliver(notification: Notification, seq?: unknown): void {
    if (this.#over) return;
    const missed = this.#sequence.missedBefore(seq);
    if (missed > 0) this.#hand(lostNotice(missed));
    this.#hand(notification);
  }

  #hand(notification: Notification): void {
    this.onNotification?.(notification);
    for (const stream of this.#streams ?? []) stream.push(notification);
  }

  /**
   * Called when the session is known to be over; the first reason wins. `seq`, the `ended`
   * message's own, shows notifications lost just before it: the Mind hears how many first.
   */
  ended(reason: EndReason, seq?: unknown): void {
    if (this.#over) return;
    const missed = this.#sequence.missedBefore(seq);
    if (missed > 0) this.#hand(lostNotice(missed));
    this.#over = true;
    clearInterval(this.#timer);
    for (const stream of this.#streams ?? []) stream.end();
    this.#streams = undefined;
    // Let an `ended` notification in flight arrive before the mind subject goes away.
    const subscription = this.#mindSubscription;
    setTimeout(() => subscription?.unsubscribe(), 1000).unref();
    this.#end(reason);
  }

  /**
   * A request found the session over. The portal's `ended` notification says why; it may still be
   * on its way (a call answered `SessionEnded` can beat it), so a session with a Mind waits up to
   * `ENDED_GRACE_MS` for it before settling for the reason the `SessionEnded` carried, or
   * `timeout`, the one reason a client can infer, when it carried none (no-responders, say).
   */
  #learnedEnded(busClosed: boolean, reason?: EndReason): void {
    if (this.#over || this.#waitingForReason) return;
    // The portal says why while it still knows (a session that ended moments ago): without a Mind
    // that is the only way to learn it (an outside newcomer's revoked session reported `timeout`).
    const known = reason ?? "timeout";
    if (this.#mindSubscription === undefined || busClosed) {
      this.ended(known);
      return;
    }
    this.#waitingForReason = true;
    clearInterval(this.#timer);
    setTimeout(() => this.ended(known), ENDED_GRACE_MS).unref();
  }

  async #request(verb: "call" | "ping" | "logout", body: unknown): Promise<Record<string, unknown>> {
    let data: Uint8Array;
    try {
      // Just after this client's own reconnect the portal may not be back yet: asked again, not believed over.
      const encoded = encode(body);
      data = await askRidingOutReconnects(this.bus, () => this.bus.request(this.subjects.sessionVerb(this.id, verb), encoded));
    } catch (error) {
      if (error instanceof NoResponders || error instanceof BusClosed) {
        this.#learnedEnded(error instanceof BusClosed);
        throw new SessionEnded();
      }
      throw error;
    }
    const reply = decodeObject(data);
    if (reply["ok"] !== true) {
      const error = fromWireError(reply["error"]);
      if (error instanceof SessionEnded) this.#learnedEnded(false, error.reason);
      throw error;
    }
    return reply;
  }
}
