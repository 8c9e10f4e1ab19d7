/**
 * Watches the processes at the other end of live sessions: a portal watches the realm service
 * processes hosting its avatars, and a realm service watches the portal processes whose sessions
 * it hosts avatars for.
 *
 * A process that dies (killed, crashed, cut off) cannot say so. Without a watch, a dead realm's
 * sessions would stay live on the portal, their calls met by silence, and a dead portal's
 * avatars would stay logged in at the realm forever. Each process answers on its own instance
 * subject (`P.realm.NAME.instance.ID`, `P.portal.ID`); NATS answers no-responders there once the
 * process's connection is gone. That is also what a reconnect looks like for a few seconds (a
 * NATS restart, a network blip: nats.js resubscribes on its own), so an instance is only declared
 * gone when it has had no responders for `confirmMs`; until then it is *unreachable*. A timeout
 * is neither: somebody subscribes, so the process is alive and busy. But not forever: a passive
 * subscriber (an operator's `nats sub 'cred.>'`) turns a dead process's no-responders into
 * timeouts too, so an instance that has only timed out for `busyLimitMs` counts as gone.
 */
import type { Bus } from "../../transports/bus.ts";
import { NoResponders, RequestTimeout } from "../../transports/errors.ts";
import { encode } from "../wire/codec.ts";

/** How often an instance without responders is asked again while its `confirmMs` runs. */
const UNREACHABLE_RECHECK_MS = 250;

export interface InstanceWatchOptions {
  /** How often every watched instance is asked; default 5000 ms. */
  readonly checkEveryMs?: number;
  /** How long an instance must have no responders before it counts as gone; default 5000 ms. */
  readonly confirmMs?: number;
  /** A check that an avatar call asks for is skipped when one answered this recently; default 250 ms. */
  readonly freshMs?: number;
  /** How long one check waits for its answer before counting the instance as busy; default 2000 ms. */
  readonly timeoutMs?: number;
  /**
   * How long an instance may time out on every check, with no answer, before it counts as gone;
   * default 30000 ms. A process that answers nothing for that long serves its sessions no better.
   */
  readonly busyLimitMs?: number;
}

/**
 * What a check found: answering; subscribed but not answering in time (busy, or dying with the
 * check in its hands); without responders for now; or gone for good.
 */
export type HostState = "alive" | "busy" | "unreachable" | "gone";

/** One watched session: ask after the process at its other end, and stop watching. */
export interface WatchedHost {
  /** The host's state; a recent answer is reused, concurrent asks share one request. */
  state(): Promise<HostState>;
  /** What is known without asking: `gone`, `unreachable` (no responders lately), else `alive`. */
  known(): HostState;
  /** Asks now, whatever the last answer (something else found the host without responders). */
  recheck(): Promise<HostState>;
  /** Stops watching (the session is over); `onLost` is not called after this. */
  unwatch(): void;
}

interface Instance {
  readonly subject: string;
  readonly lost: Set<() => void>;
  gone: boolean;
  lastAnswerAt: number;
  /** When it was first found without responders, since its last answer. */
  silentSince: number | undefined;
  /** When a check first timed out, since its last answer. */
  busySince: number | undefined;
  checking: Promise<HostState> | undefined;
  /** When the check in `checking` was sent; only the latest check's result is applied. */
  checkSentAt: number;
  confirmTimer: ReturnType<typeof setTimeout> | undefined;
}

export class InstanceWatch {
  readonly #instances = new Map<string, Instance>();
  readonly #checkEveryMs: number;
  readonly #confirmMs: number;
  readonly #freshMs: number;
  readonly #timeoutMs: number;
  readonly #busyLimitMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly bus: Bus, options: InstanceWatchOptions = {}) {
    this.#checkEveryMs = positive("checkEveryMs", options.checkEveryMs ?? 5_000);
    this.#confirmMs = positive("confirmMs", options.confirmMs ?? 5_000);
    this.#freshMs = positive("freshMs", options.freshMs ?? 250);
    this.#timeoutMs = positive("timeoutMs", options.timeoutMs ?? 2_000);
    this.#busyLimitMs = positive("busyLimitMs", options.busyLimitMs ?? 30_000);
  }

  /** Instances watched now (for tests and metrics). */
  get instances(): number {
    return this.#instances.size;
  }

  /** Watches one session whose other end is `subject`'s instance; `onLost` runs once if that instance is gone. */
  watch(subject: string, onLost: () => void): WatchedHost {
    let instance = this.#instances.get(subject);
    if (instance === undefined) {
      // Never answered yet: the first call on a fresh session asks (one request per instance, shared).
      instance = {
        subject,
        lost: new Set(),
        gone: false,
        lastAnswerAt: Number.NEGATIVE_INFINITY,
        silentSince: undefined,
        busySince: undefined,
        checking: undefined,
        checkSentAt: Number.NEGATIVE_INFINITY,
        confirmTimer: undefined,
      };
      this.#instances.set(subject, instance);
    }
    const watched = instance;
    const callback = () => onLost();
    watched.lost.add(callback);
    this.#startTimer();
    return {
      state: () => (watched.gone ? Promise.resolve("gone") : this.#check(watched, this.#freshMs)),
      known: () => (watched.gone ? "gone" : watched.silentSince === undefined ? "alive" : "unreachable"),
      recheck: () => this.#check(watched, 0),
      unwatch: () => {
        watched.lost.delete(callback);
        if (watched.lost.size === 0 && this.#instances.get(subject) === watched) this.#forget(watched);
      },
    };
  }

  /** Stops every timer (the portal is closing). */
  close(): void {
    this.#stopTimer();
    for (const instance of this.#instances.values()) clearTimeout(instance.confirmTimer);
  }

  #check(instance: Instance, freshMs: number): Promise<HostState> {
    if (instance.gone) return Promise.resolve("gone");
    const now = performance.now();
    // Joined only when sent recently: a check sent before the host died may still be waiting for
    // an answer that the dying connection swallowed (it then times out, which reads as busy).
    if (instance.checking && now - instance.checkSentAt < freshMs) return instance.checking;
    if (instance.silentSince === undefined && now - instance.lastAnswerAt < freshMs) return Promise.resolve("alive");
    const current = () => instance.checking === checking;
    const checking: Promise<HostState> = this.bus.request(instance.subject, encode({}), { timeoutMs: this.#timeoutMs }).then(
      (): HostState => (current() ? this.#answered(instance) : "alive"),
      (error: unknown): HostState => {
        // A later check has been sent: its result counts, not this one's.
        if (!current()) return error instanceof NoResponders ? "unreachable" : "busy";
        // Somebody was subscribed but did not answer in time: not dead, but not an answer either
        // (the check may have reached a process that died holding it).
        if (error instanceof RequestTimeout) return instance.silentSince === undefined ? this.#busy(instance) : "unreachable";
        if (!(error instanceof NoResponders)) return instance.silentSince === undefined ? "alive" : "unreachable";
        return this.#silent(instance);
      },
    );
    instance.checking = checking;
    instance.checkSentAt = now;
    void checking.finally(() => {
      if (current()) instance.checking = undefined;
    });
    return checking;
  }

  #answered(instance: Instance): HostState {
    instance.lastAnswerAt = performance.now();
    instance.silentSince = undefined;
    instance.busySince = undefined;
    clearTimeout(instance.confirmTimer);
    instance.confirmTimer = undefined;
    return "alive";
  }

  #busy(instance: Instance): HostState {
    const now = performance.now();
    instance.busySince ??= now;
    if (now - instance.busySince < this.#busyLimitMs) return "busy";
    this.#lose(instance);
    return "gone";
  }

  #silent(instance: Instance): HostState {
    const now = performance.now();
    instance.silentSince ??= now;
    const left = instance.silentSince + this.#confirmMs - now;
    if (left <= 0) {
      this.#lose(instance);
      return "gone";
    }
    // Asked again every quarter second until the window has passed, whether or not anything else
    // asks meanwhile: one back from a reconnect is found alive at once. Found unreachable when this
    // process reconnected first, a portal's sessions had their calls refused for the whole window
    // though it was back a moment later (an outside probe: 417 calls over 4.4 s).
    if (instance.confirmTimer === undefined) {
      instance.confirmTimer = setTimeout(() => {
        instance.confirmTimer = undefined;
        void this.#check(instance, 0);
      }, Math.min(UNREACHABLE_RECHECK_MS, Math.ceil(left) + 1));
      instance.confirmTimer.unref?.();
    }
    return "unreachable";
  }

  #lose(instance: Instance): void {
    if (instance.gone) return;
    instance.gone = true;
    const lost = [...instance.lost];
    this.#forget(instance);
    for (const callback of lost) callback();
  }

  #forget(instance: Instance): void {
    clearTimeout(instance.confirmTimer);
    instance.lost.clear();
    if (this.#instances.get(instance.subject) === instance) this.#instances.delete(instance.subject);
    if (this.#instances.size === 0) this.#stopTimer();
  }

  #startTimer(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      // An instance that answered a call's check within half a period is not asked again.
      for (const instance of [...this.#instances.values()]) void this.#check(instance, this.#checkEveryMs / 2);
    }, this.#checkEveryMs);
    // Watching must not keep a process alive on its own.
    this.#timer.unref?.();
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** `value`, when it is a positive number of milliseconds; otherwise a RangeError naming the option. */
export function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of milliseconds, got ${value}`);
  return value;
}
