/** A reference to an avatar hosted by another process, reached only through its session. */
import type { Bus } from "../../transports/bus.ts";
import { NoResponders } from "../../transports/errors.ts";
import { fromWireError, SessionEnded } from "../errors.ts";
import { decodeObject, encode } from "../wire/codec.ts";
import type { Subjects } from "../wire/subjects.ts";
import type { HostState, InstanceWatch, WatchedHost } from "./instance-watch.ts";
import type { SessionReconciler } from "./session-reconciler.ts";
import type { CallAudit, CallFate } from "./call-audit.ts";
import type { ProbedHost, SessionCallProbe } from "./session-call-probe.ts";
import type { ReleaseRetries } from "./release-retries.ts";
import { RequestTimeout } from "../../transports/errors.ts";

/** Like PB's RemoteReference: `callRemote` is the only way in. */
export class RemoteAvatar {
  #released = false;
  #answered: ReadonlySet<string> | undefined;
  #lastSeq: number | undefined;
  #releasing: Promise<void> | undefined;
  #onReleased: (() => void) | undefined;
  #host: WatchedHost | undefined;
  #hostLost = false;
  #onHostLost: (() => void) | undefined;
  #reconciler: SessionReconciler | undefined;
  #audit: ((reply?: string) => Promise<CallFate>) | undefined;
  #callProbe: SessionCallProbe | undefined;
  #probed: ProbedHost | undefined;

  /** `retries`: where a release the realm process did not answer goes to be sent again. */
  constructor(
    private readonly bus: Bus,
    private readonly subjects: Subjects,
    readonly session: string,
    private readonly retries?: ReleaseRetries,
  ) {}

  /** True once the realm's process let go of the avatar (so nobody needs to ask it again). */
  get released(): boolean {
    return this.#released;
  }

  /**
   * Records that the realm's process already released the avatar, with what its answer to the
   * release (or its shutdown notice) said, if anything: see `ReleaseAnswer`.
   */
  markReleased(answer: ReleaseAnswer = {}): void {
    // A list that comes after a notice (a realm that stops while the portal logs out) still counts.
    if (answer.answered !== undefined) this.#answered = answer.answered;
    if (answer.lastSeq !== undefined) this.#lastSeq = answer.lastSeq;
    this.#released = true;
    this.#onReleased?.();
  }

  /** The portal's release request under way: calls held while logging out wait for its answer and its list. */
  releasing(answer: Promise<unknown>): void {
    this.#releasing = answer.then(
      () => undefined,
      () => undefined,
    );
  }

  /**
   * Asks the realm's process to release the avatar without waiting for it: calls held while the
   * session ends still wait for the answer (at most `timeoutMs`), whose list decides them.
   */
  orderRelease(timeoutMs = 5_000, options: { readonly holdCalls?: boolean } = {}): void {
    const answer = this.bus
      .request(this.subjects.sessionVerb(this.session, "release"), encode({}), { timeoutMs })
      .then((data) => this.markReleased(releaseAnswer(data)))
      .catch((error: unknown) => {
        if (error instanceof RequestTimeout) this.retries?.unanswered(this.session);
        throw error;
      });
    if (options.holdCalls === false) answer.catch(() => undefined);
    else this.releasing(answer);
  }

  /** Resolves once no release request is under way (its answer came, or it failed). */
  releaseSettled(): Promise<void> {
    return this.#releasing ?? Promise.resolve();
  }

  /**
   * Whether the realm's process took the call with this reply subject, as far as its answer to the
   * release (or its shutdown notice) says; false when it said nothing (a realm built from
   * PROTOCOL.md alone, its death).
   */
  tookCall(reply: string | undefined): boolean {
    return reply !== undefined && this.#answered?.has(reply) === true;
  }

  /** Resolves once the realm's process is known to have let go of the avatar (`markReleased`, or its death). */
  whenReleased(): Promise<void> {
    if (this.#released) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.#onReleased;
      this.#onReleased = () => {
        previous?.();
        resolve();
      };
    });
  }

  /**
   * Watches the realm process hosting the avatar (when the realm named its instance): for its
   * death, and for having let go of the avatar behind the portal's back (`reconciler`).
   */
  watchHost(watch: InstanceWatch, reconciler: SessionReconciler, instanceSubject: string, audit?: CallAudit): void {
    if (audit) this.#audit = (reply) => audit.check(instanceSubject, this.session, reply);
    const lost = () => this.#lost();
    this.#host = watch.watch(instanceSubject, lost);
    this.#reconciler = reconciler;
    reconciler.track(this.session, instanceSubject, lost);
  }

  /**
   * Watches the hosting process through the session's own call subject, for a realm that named
   * no instance (see `SessionCallProbe`); the session's handler ignores the probe's messages.
   */
  probeHost(probe: SessionCallProbe): void {
    this.#callProbe = probe;
    this.#probed = probe.watch(this.subjects.sessionVerb(this.session, "call"), () => {
      this.#lost();
      // Unanswered probes cannot tell a dead process from one stalled for longer than the
      // window: the release reaches the latter when it wakes, so it lets go of the avatar rather
      // than answer calls of a session that ended (an outside probe's paused realm did, for good).
      // Calls do not wait for its answer: after goneAfterMs of silence it is unlikely to come in
      // its 5 s, and only this portal's own subscription hears the release meanwhile, so every
      // call waited those 5 s for SessionEnded, past many clients' timeouts.
      this.orderRelease(5_000, { holdCalls: false });
    });
    this.#host = this.#probed;
  }

  /** The session's client pinged: a realm watched through the session's call subject is asked after now and then. */
  pinged(): void {
    this.#probed?.pinged();
  }

  /**
   * True for a message the portal itself sent to the realm on the session's subjects (a probe,
   * `probeHost`; a release sent again, `ReleaseRetries`), not a client's: the realm's to answer.
   */
  isProbe(reply: string | undefined): boolean {
    return this.#callProbe?.isProbe(reply) === true || this.retries?.isRetry(reply) === true;
  }

  /** The session's subscription heard one of those (`isProbe`): a call probe's verdict then covers the calls after it. */
  heardOwn(reply: string): void {
    this.#callProbe?.heard(reply);
  }

  #lost(): void {
    if (this.#hostLost) return;
    // Nothing is left there to release.
    this.markReleased();
    this.#hostLost = true;
    this.#onHostLost?.();
  }

  /** Runs `listener` once when the realm process hosting the avatar is found gone or without it (at once if it already was). */
  onHostLost(listener: () => void): void {
    this.#onHostLost = listener;
    if (this.#hostLost) queueMicrotask(listener);
  }

  /** The hosting process's state (see `InstanceWatch`); asks it when its last answer is not recent. `alive` when unwatched. */
  hostState(): Promise<HostState> {
    return this.#host?.state() ?? Promise.resolve("alive");
  }

  /** Asks the hosting process now, whatever its last answer; `alive` when unwatched. */
  recheckHost(): Promise<HostState> {
    return this.#host?.recheck() ?? Promise.resolve("alive");
  }

  /**
   * Whether the hosting process took the call answered on `reply`, asked right after the portal
   * saw it (without `reply`: whether it still hosts this session; see `CallAudit`); `hosted` when
   * the process is not watched (it named no instance).
   */
  auditCall(reply?: string): Promise<CallFate> {
    return this.#audit?.(reply) ?? Promise.resolve("hosted");
  }

  /** The calls the realm's process listed as taken (its answer to a release, or its shutdown notice); undefined before it listed any. */
  get takenCalls(): ReadonlySet<string> | undefined {
    return this.#answered;
  }

  /**
   * The `seq` of the last notification the realm's process numbered for this session, as its
   * answer to the release (or its shutdown notice) said; undefined when it said nothing.
   */
  get lastSeq(): number | undefined {
    return this.#lastSeq;
  }

  /** True once the realm's process listed the calls it took (its answer to a release, or its shutdown notice). */
  get listedCalls(): boolean {
    return this.#answered !== undefined;
  }

  /** True when the hosting process can be asked about each call (it named its instance: `auditCall`). */
  get audits(): boolean {
    return this.#audit !== undefined;
  }

  /** True when the hosting process is already known unreachable or gone (no request made). */
  get hostUnanswering(): boolean {
    const known = this.#host?.known() ?? "alive";
    return known === "unreachable" || known === "gone";
  }

  /** Stops watching the hosting process (the session is over). */
  unwatchHost(): void {
    this.#host?.unwatch();
    this.#reconciler?.untrack(this.session);
    this.#onHostLost = undefined;
  }

  /** Rejects with the avatar's error, or `SessionEnded` once the session is over. */
  async callRemote(method: string, ...args: unknown[]): Promise<unknown> {
    let data: Uint8Array;
    try {
      data = await this.bus.request(this.subjects.sessionVerb(this.session, "call"), encode({ method, args }));
    } catch (error) {
      if (error instanceof NoResponders) throw new SessionEnded();
      throw error;
    }
    const reply = decodeObject(data);
    if (reply["ok"] !== true) throw fromWireError(reply["error"]);
    return reply["result"];
  }
}

/**
 * What a realm service's answer to a release, or its shutdown notice, may say (both are Portcullis
 * additions; a realm built from PROTOCOL.md alone says neither).
 */
export interface ReleaseAnswer {
  /** The reply subjects of the last calls it took (all it will ever take). */
  readonly answered?: ReadonlySet<string>;
  /** The `seq` of the last notification it numbered: the portal's `ended` takes the next. */
  readonly lastSeq?: number;
}

/** Reads a `ReleaseAnswer`; what is missing or malformed is left out. */
export function releaseAnswer(data: Uint8Array): ReleaseAnswer {
  let body: Record<string, unknown>;
  try {
    body = decodeObject(data);
  } catch {
    return {};
  }
  const { answered, seq } = body;
  return {
    ...(Array.isArray(answered) ? { answered: new Set(answered.filter((reply): reply is string => typeof reply === "string")) } : {}),
    ...(typeof seq === "number" && Number.isSafeInteger(seq) && seq >= 0 ? { lastSeq: seq } : {}),
  };
}
