/**
 * A process-wide limit on slow hashes running at once.
 *
 * argon2id, scrypt and bcrypt run on libuv's thread pool (4 threads by default), which Node
 * shares with file reads and DNS lookups. Without a limit, a burst of 128 logins queues 128
 * hashes there, and a password file reload or a NATS reconnect's DNS lookup waits behind all of
 * them (test/actors/checkers/hash-gate.test.ts: a file read finished after 21 of 24 queued
 * verifies). The default gate lets hashes use all but one of the pool's threads and queues the
 * rest in order, here instead, so one thread is always free for I/O. It also caps the memory
 * hashes hold at once (scrypt's default is 128 MiB each).
 *
 * Why not one slot per core: a slot stays empty from the moment a hash ends until the event
 * loop starts the next, and measured on 2 cores, two slots verified 5–15% fewer argon2id
 * hashes per second than an unlimited queue, while three (of four threads) matched it.
 */
import { LoginFailed } from "../errors.ts";

export interface HashGateOptions {
  /**
   * How long a hash may wait for its slot before it is refused with `LoginFailed` ("the checker
   * is overloaded; try again"); default 5000 ms (`DEFAULT_MAX_WAIT_MS`), `Infinity` for never.
   * The thread pool's own queue has no deadline:
   * under overload a hashing checker went on verifying for logins whose portal had given up long
   * before (its 10 s check timeout), so no login at all succeeded (an outside ops probe, scrypt
   * at its default cost under 16 logins at once). Shedding what waited too long answers it at
   * once and leaves the slots to logins that can still be answered in time.
   */
  readonly maxWaitMs?: number;
  /**
   * Once the oldest waiting hash has waited this long, the queue is standing (more logins arrive
   * than hashes finish), and the newest waiter goes next instead of the oldest (adaptive LIFO):
   * the oldest are the ones whose clients are giving up, and `maxWaitMs` sheds them, while fresh
   * logins are answered in time. Below it, first come first served. Default: a tenth of
   * `maxWaitMs` (with `maxWaitMs: Infinity`, never: strictly in order).
   */
  readonly lifoAfterMs?: number;
}

/** The default `maxWaitMs`: half the portal's 10 s check timeout, so what waits longer could not be answered in time anyway. */
export const DEFAULT_MAX_WAIT_MS = 5_000;

/** The refusal of a hash that waited longer than `maxWaitMs` for its slot. */
export const OVERLOADED_MESSAGE = "the checker is overloaded; try again";

/** A waiting hash: started when its turn comes, unless its wait ran out first. */
interface Waiter {
  readonly start: () => void;
  /** When it began to wait (performance.now()). */
  readonly since: number;
  timer: NodeJS.Timeout | undefined;
  shed: boolean;
}

export class HashGate {
  readonly #limit: number;
  readonly #maxWaitMs: number;
  readonly #lifoAfterMs: number;
  #running = 0;
  // A FIFO of waiters; `head` advances instead of shift() so a long queue drains in O(1) each.
  #waiting: Waiter[] = [];
  #head = 0;
  #shedWaiting = 0;

  /** `limit`: hashes that may run at once (a positive integer). */
  constructor(limit: number, options: HashGateOptions = {}) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`HashGate limit must be a positive integer, got ${limit}`);
    const { maxWaitMs = DEFAULT_MAX_WAIT_MS } = options;
    if (!((maxWaitMs >= 0 && maxWaitMs <= 2 ** 31 - 1) || maxWaitMs === Number.POSITIVE_INFINITY)) {
      throw new RangeError(`HashGate maxWaitMs must be from 0 to 2147483647, or Infinity, got ${maxWaitMs}`);
    }
    const lifoAfterMs = options.lifoAfterMs ?? maxWaitMs / 10;
    if (!(lifoAfterMs >= 0)) throw new RangeError(`HashGate lifoAfterMs must be ≥ 0, got ${lifoAfterMs}`);
    this.#limit = limit;
    this.#maxWaitMs = maxWaitMs;
    this.#lifoAfterMs = lifoAfterMs;
  }

  /** Hashes that may run at once. */
  get limit(): number {
    return this.#limit;
  }

  /** How long a hash may wait for its slot (Infinity: forever). */
  get maxWaitMs(): number {
    return this.#maxWaitMs;
  }

  /** Hashes running now, and hashes waiting for a slot. */
  get load(): { running: number; waiting: number } {
    return { running: this.#running, waiting: this.#waiting.length - this.#head - this.#shedWaiting };
  }

  /**
   * Runs `hash` when a slot is free; the slot is freed when it settles, whichever way. Rejects
   * with `LoginFailed` when the slot did not come within `maxWaitMs`.
   */
  run<T>(hash: () => Promise<T>): Promise<T> {
    if (this.#running < this.#limit) return this.#start(hash);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          clearTimeout(waiter.timer);
          this.#start(hash).then(resolve, reject);
        },
        since: performance.now(),
        timer: undefined,
        shed: false,
      };
      if (this.#maxWaitMs !== Number.POSITIVE_INFINITY) {
        waiter.timer = setTimeout(() => {
          // Left in the queue, skipped when its turn comes: removing it from the middle would cost O(n).
          waiter.shed = true;
          this.#shedWaiting++;
          reject(new LoginFailed(OVERLOADED_MESSAGE));
        }, this.#maxWaitMs);
      }
      this.#waiting.push(waiter);
    });
  }

  #start<T>(hash: () => Promise<T>): Promise<T> {
    this.#running++;
    let started: Promise<T>;
    try {
      started = hash();
    } catch (error) {
      started = Promise.reject(error);
    }
    return started.finally(() => this.#release());
  }

  #release(): void {
    this.#running--;
    this.#dropShed();
    const oldest = this.#waiting[this.#head];
    if (oldest === undefined) return;
    // A standing queue (its oldest live waiter has waited past `lifoAfterMs`) serves the newest.
    const next = performance.now() - oldest.since >= this.#lifoAfterMs ? this.#newest() : this.#oldest();
    next?.start();
  }

  /** The oldest waiter; shed ones at the head are already dropped. */
  #oldest(): Waiter | undefined {
    if (this.#head === this.#waiting.length) return undefined;
    const next = this.#waiting[this.#head]!;
    this.#waiting[this.#head++] = undefined as never;
    this.#compact();
    return next;
  }

  #newest(): Waiter | undefined {
    while (this.#waiting.length > this.#head) {
      const next = this.#waiting.pop()!;
      if (!next.shed) {
        this.#compact();
        return next;
      }
      this.#shedWaiting--;
    }
    this.#compact();
    return undefined;
  }

  /** Drops shed waiters from the head (they were refused already). */
  #dropShed(): void {
    while (this.#head < this.#waiting.length && this.#waiting[this.#head]!.shed) {
      this.#waiting[this.#head++] = undefined as never;
      this.#shedWaiting--;
    }
    this.#compact();
  }

  #compact(): void {
    if (this.#head === this.#waiting.length) {
      this.#waiting = [];
      this.#head = 0;
    }
  }
}

/** libuv's thread pool size, as libuv reads it (it clamps to 1…1024; Node's default is 4). */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const configured = Number.parseInt(env.UV_THREADPOOL_SIZE ?? "", 10);
  return Number.isFinite(configured) ? Math.min(1024, Math.max(1, configured)) : 4;
}

/**
 * The gate every built-in hasher uses unless given its own: all but one of libuv's threads
 * (at least one), and hashes that waited 5 s for a slot refused as overloaded. A portal that mostly hashes should set `UV_THREADPOOL_SIZE` to its core
 * count + 1 before Node starts.
 */
export const defaultHashGate = new HashGate(Math.max(1, threadPoolSize() - 1));
