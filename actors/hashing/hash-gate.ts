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
export class HashGate {
  readonly #limit: number;
  #running = 0;
  // A FIFO of starters; `head` advances instead of shift() so a long queue drains in O(1) each.
  #waiting: Array<() => void> = [];
  #head = 0;

  /** `limit`: hashes that may run at once (a positive integer). */
  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`HashGate limit must be a positive integer, got ${limit}`);
    this.#limit = limit;
  }

  /** Hashes that may run at once. */
  get limit(): number {
    return this.#limit;
  }

  /** Hashes running now, and hashes waiting for a slot. */
  get load(): { running: number; waiting: number } {
    return { running: this.#running, waiting: this.#waiting.length - this.#head };
  }

  /** Runs `hash` when a slot is free; the slot is freed when it settles, whichever way. */
  run<T>(hash: () => Promise<T>): Promise<T> {
    if (this.#running < this.#limit) return this.#start(hash);
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push(() => this.#start(hash).then(resolve, reject));
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
    if (this.#head < this.#waiting.length) {
      const next = this.#waiting[this.#head]!;
      this.#waiting[this.#head++] = undefined as never;
      if (this.#head === this.#waiting.length) {
        this.#waiting = [];
        this.#head = 0;
      }
      next();
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
 * (at least one). A portal that mostly hashes should set `UV_THREADPOOL_SIZE` to its core
 * count + 1 before Node starts.
 */
export const defaultHashGate = new HashGate(Math.max(1, threadPoolSize() - 1));
