/**
 * Watches the realm service processes that host this portal's avatars.
 *
 * A realm process that dies (killed, crashed, cut off) cannot send `failed`: its sessions would
 * stay live on the portal, their calls met by silence until each client gave up, and a client
 * that keeps pinging would keep a session with no avatar forever. Each process answers on its
 * own `P.realm.NAME.instance.ID`; NATS answers no-responders for it once the process's
 * connection is gone, which is the one definitive sign of death. A timeout is not: a busy realm
 * is alive.
 */
import type { Bus } from "../../transports/bus.ts";
import { NoResponders } from "../../transports/errors.ts";
import { encode } from "../wire/codec.ts";

export interface RealmInstanceWatchOptions {
  /** How often every instance hosting a watched avatar is asked; default 5000 ms. */
  readonly checkEveryMs?: number;
  /** A check that an avatar call asks for is skipped when one answered this recently; default 250 ms. */
  readonly freshMs?: number;
  /** How long one check waits for its answer before counting the instance as alive; default 2000 ms. */
  readonly timeoutMs?: number;
}

/** One watched avatar: ask whether its host is there, and stop watching. */
export interface WatchedHost {
  /** False once the instance is known gone (then `onLost` has run); a recent answer is reused. */
  alive(): Promise<boolean>;
  /** Stops watching (the session is over); `onLost` is not called after this. */
  unwatch(): void;
}

interface Instance {
  readonly subject: string;
  readonly lost: Set<() => void>;
  gone: boolean;
  lastAnswerAt: number;
  checking: Promise<boolean> | undefined;
}

export class RealmInstanceWatch {
  readonly #instances = new Map<string, Instance>();
  readonly #checkEveryMs: number;
  readonly #freshMs: number;
  readonly #timeoutMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly bus: Bus, options: RealmInstanceWatchOptions = {}) {
    this.#checkEveryMs = positive("checkEveryMs", options.checkEveryMs ?? 5_000);
    this.#freshMs = positive("freshMs", options.freshMs ?? 250);
    this.#timeoutMs = positive("timeoutMs", options.timeoutMs ?? 2_000);
  }

  /** Instances watched now (for tests and metrics). */
  get instances(): number {
    return this.#instances.size;
  }

  /** Watches the avatar hosted on `subject`'s instance; `onLost` runs once if that instance dies. */
  watch(subject: string, onLost: () => void): WatchedHost {
    let instance = this.#instances.get(subject);
    if (instance === undefined) {
      // Never answered yet: the first call on a fresh session asks (one request per instance, coalesced).
      instance = { subject, lost: new Set(), gone: false, lastAnswerAt: Number.NEGATIVE_INFINITY, checking: undefined };
      this.#instances.set(subject, instance);
    }
    const watched = instance;
    const callback = () => onLost();
    watched.lost.add(callback);
    this.#startTimer();
    return {
      alive: () => (watched.gone ? Promise.resolve(false) : this.#check(watched, this.#freshMs)),
      unwatch: () => {
        watched.lost.delete(callback);
        if (watched.lost.size === 0 && this.#instances.get(subject) === watched) this.#instances.delete(subject);
        if (this.#instances.size === 0) this.#stopTimer();
      },
    };
  }

  /** Stops the periodic checks (the portal is closing). */
  close(): void {
    this.#stopTimer();
  }

  #check(instance: Instance, freshMs: number): Promise<boolean> {
    if (instance.checking) return instance.checking;
    if (performance.now() - instance.lastAnswerAt < freshMs) return Promise.resolve(true);
    const checking = this.bus.request(instance.subject, encode({}), { timeoutMs: this.#timeoutMs }).then(
      () => {
        instance.lastAnswerAt = performance.now();
        return true;
      },
      (error: unknown) => {
        if (!(error instanceof NoResponders)) return true;
        this.#lose(instance);
        return false;
      },
    );
    instance.checking = checking.finally(() => (instance.checking = undefined));
    return instance.checking;
  }

  #lose(instance: Instance): void {
    if (instance.gone) return;
    instance.gone = true;
    if (this.#instances.get(instance.subject) === instance) this.#instances.delete(instance.subject);
    if (this.#instances.size === 0) this.#stopTimer();
    for (const lost of [...instance.lost]) lost();
    instance.lost.clear();
  }

  #startTimer(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      // The interval itself is the freshness: an instance that answered a call's check since the last round is not asked again.
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

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of milliseconds, got ${value}`);
  return value;
}
