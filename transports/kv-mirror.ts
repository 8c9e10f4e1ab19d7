/**
 * A KV store whose reads are answered from a local copy that a watch keeps current, so a read
 * costs no JetStream round trip. Writes still go to the store (compare-and-set stays exact).
 */
import { KvConflict, type KvChange, type KvItem, type KvStore, type KvWatch } from "./kv.ts";
import { waitAtMost } from "./wait-at-most.ts";

export interface KvMirrorOptions {
  /** The bucket's TTL: JetStream drops values this long after they were stored, silently, so the mirror drops them too. */
  readonly ttlMs?: number;
  /**
   * Past this many keys the copy is dropped and every read goes to the store, until the bucket
   * holds at most half as many (asked every `resumeCheckMs`, default 60 s); default 100,000.
   */
  readonly maxKeys?: number;
  readonly resumeCheckMs?: number;
  /** How long `mirrorKvStore` waits for the current values; reads go to the store until they are in. Default 2,000 ms. */
  readonly loadWaitMs?: number;
  /** Told when the copy stops answering reads (too many keys, the watch ended); reads then go to the store. */
  readonly onStopped?: (reason: string) => void;
  /** Told when a copy dropped for too many keys is loaded again. */
  readonly onResumed?: () => void;
  /** Epoch ms; `Date.now` when absent. */
  readonly now?: () => number;
}

export const DEFAULT_MIRROR_MAX_KEYS = 100_000;
const DEFAULT_LOAD_WAIT_MS = 2_000;
/**
 * How long a deleted key is remembered: long enough that a watch lagging behind this process's own
 * delete cannot bring back the value it deleted (the watch lags by milliseconds).
 */
const TOMBSTONE_MS = 60_000;
const SWEEP_EVERY_MS = 30_000;
const RESUME_CHECK_MS = 60_000;

interface Entry<T> {
  /** undefined: deleted. */
  readonly value: T | undefined;
  readonly revision: number;
  readonly expiresAt: number;
  /** false: this process lost a compare-and-set on it, or could not decode it; the next read asks the store. */
  readonly trusted: boolean;
}

/**
 * A read is served from the mirror when it is loaded and usable; otherwise, and for a key whose
 * copy may be stale (a lost compare-and-set), from the store, whose answer refreshes the copy.
 * A write that fails for any reason but a lost compare-and-set suspends the mirror until a read
 * from the store succeeds: a store that cannot be reached must not look like an empty one (the
 * rate limiter fails closed on it). Another process's write reaches the copy as fast as the watch
 * delivers it (milliseconds); this process's own writes reach it at once.
 */
export class MirroredKvStore<T> implements KvStore<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #maxKeys: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #onStopped: (reason: string) => void;
  readonly #onResumed: () => void;
  readonly #resumeCheckMs: number;
  #loaded = false;
  #suspended = false;
  #closed = false;
  /** The watch feeding the copy; undefined while there is none (dropped for too many keys, closed). */
  #watch: KvWatch | undefined;
  /** Which watch may still change the copy: a dropped one's late news must not. */
  #generation = 0;
  #resumeTimer: NodeJS.Timeout | undefined;
  readonly #sweep: NodeJS.Timeout;

  constructor(private readonly store: KvStore<T>, options: KvMirrorOptions = {}) {
    this.#maxKeys = options.maxKeys ?? DEFAULT_MIRROR_MAX_KEYS;
    if (!Number.isInteger(this.#maxKeys) || this.#maxKeys < 1) throw new RangeError(`maxKeys must be a positive integer, got ${options.maxKeys}`);
    this.#ttlMs = options.ttlMs ?? Number.POSITIVE_INFINITY;
    this.#now = options.now ?? Date.now;
    this.#onStopped = options.onStopped ?? (() => undefined);
    this.#onResumed = options.onResumed ?? (() => undefined);
    this.#resumeCheckMs = options.resumeCheckMs ?? RESUME_CHECK_MS;
    this.#sweep = setInterval(() => this.#dropExpired(), Math.max(1_000, Math.min(SWEEP_EVERY_MS, this.#ttlMs))).unref();
  }

  get bucket(): string {
    return this.store.bucket;
  }

  /** Whether reads are answered locally right now. */
  get serving(): boolean {
    return this.#loaded && !this.#suspended && this.#watch !== undefined && !this.#closed;
  }

  /** Keys (and recently deleted keys) held locally. */
  get size(): number {
    return this.#entries.size;
  }

  /** Starts the watch; resolves once loaded or after `loadWaitMs`, whichever comes first. */
  async start(loadWaitMs = DEFAULT_LOAD_WAIT_MS): Promise<void> {
    const generation = ++this.#generation;
    const current = () => generation === this.#generation && !this.#closed;
    this.#loaded = false;
    const watch = await this.store.watch((change) => {
      if (current()) this.#seen(change);
    });
    if (!current()) return watch.stop();
    this.#watch = watch;
    void watch.loaded.then(() => {
      if (current()) this.#loaded = true;
    });
    void watch.ended.then((reason) => {
      if (!current()) return;
      if (reason !== null) this.#stop(reason);
      else this.close();
    });
    await waitAtMost(watch.loaded, loadWaitMs);
  }

  async get(key: string): Promise<KvItem<T> | null> {
    const entry = this.#entries.get(key);
    if (this.serving && (entry === undefined || entry.trusted)) {
      return entry?.value === undefined || entry.expiresAt <= this.#now() ? null : { value: entry.value, revision: entry.revision };
    }
    return this.getFromStore(key);
  }

  /** A store read succeeded: a copy suspended by a failed write is loaded afresh, its watch having maybe missed the outage. */
  #storeAnswered(): void {
    if (!this.#suspended) return;
    this.#suspended = false;
    this.reload();
  }

  /** Reads the key from the store whatever the copy says, refreshing the copy with the answer. */
  async getFromStore(key: string): Promise<KvItem<T> | null> {
    const entry = this.#entries.get(key);
    const item = await this.store.get(key);
    this.#storeAnswered();
    if (item !== null) this.#keep(key, item.value, item.revision, this.#now() + this.#ttlMs, true);
    else if (entry !== undefined) this.#keep(key, undefined, entry.revision, this.#now() + TOMBSTONE_MS, true, true);
    return item;
  }

  /**
   * Drops the copy and loads it again from a fresh watch (reads go to the store meanwhile): after
   * the connection or JetStream came back, a watch may have stopped hearing without ending (an
   * outside probe restarting nats-server without JetStream and back saw portals check a copy that
   * no longer heard other portals' failures, until they restarted).
   */
  reload(): void {
    if (this.#closed || this.#watch === undefined) return;
    this.#dropCopy();
    void this.start(0).catch(() => undefined);
  }

  async create(key: string, value: T): Promise<number> {
    return this.#written(key, value, await this.#write(key, () => this.store.create(key, value)));
  }

  async update(key: string, value: T, revision: number): Promise<number> {
    return this.#written(key, value, await this.#write(key, () => this.store.update(key, value, revision)));
  }

  async delete(key: string): Promise<void> {
    await this.#write(key, () => this.store.delete(key));
    // The delete's own revision is not returned: the one known stands, so older news is ignored and newer is taken.
    const known = this.#entries.get(key)?.revision ?? 0;
    this.#keep(key, undefined, known, this.#now() + TOMBSTONE_MS, true, true);
  }

  watch(onChange: (change: KvChange<T>) => void): Promise<KvWatch> {
    return this.store.watch(onChange);
  }

  count(): Promise<number> {
    return this.store.count();
  }

  /** Stops the watch; reads then go to the store. */
  close(): void {
    this.#closed = true;
    this.#dropCopy();
    clearInterval(this.#sweep);
    clearInterval(this.#resumeTimer);
  }

  #dropCopy(): void {
    this.#generation++;
    this.#watch?.stop();
    this.#watch = undefined;
    this.#loaded = false;
    this.#entries.clear();
  }

  async #write<R>(key: string, write: () => Promise<R>): Promise<R> {
    try {
      return await write();
    } catch (error) {
      if (error instanceof KvConflict) this.#distrust(key);
      else this.#suspended = true;
      throw error;
    }
  }

  #written(key: string, value: T, revision: number): number {
    this.#keep(key, value, revision, this.#now() + this.#ttlMs, true);
    return revision;
  }

  #seen(change: KvChange<T>): void {
    if (change.deleted) this.#keep(change.key, undefined, change.revision, this.#now() + TOMBSTONE_MS, true);
    else this.#keep(change.key, change.value, change.revision, change.storedAt + this.#ttlMs, !change.undecodable);
  }

  /** Keeps what is newer than the copy; `force` (a delete) and a distrusted copy also give way at the same revision. */
  #keep(key: string, value: T | undefined, revision: number, expiresAt: number, trusted: boolean, force = false): void {
    if (this.#watch === undefined || this.#closed) return;
    const current = this.#entries.get(key);
    if (current !== undefined && (current.revision > revision || (current.revision === revision && current.trusted && !force))) return;
    this.#entries.set(key, { value, revision, expiresAt, trusted });
    if (this.#entries.size > this.#maxKeys) this.#overflow();
  }

  #distrust(key: string): void {
    const current = this.#entries.get(key);
    this.#entries.set(key, { value: current?.value, revision: current?.revision ?? 0, expiresAt: current?.expiresAt ?? this.#now() + TOMBSTONE_MS, trusted: false });
  }

  #dropExpired(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }

  #stop(reason: string): void {
    if (this.#closed) return;
    this.close();
    this.#onStopped(reason);
  }

  /** Too many keys to hold: reads go to the store until the bucket has shrunk to half of `maxKeys`. */
  #overflow(): void {
    this.#dropCopy();
    this.#onStopped(`more than ${this.#maxKeys} keys; every read goes to the store until the bucket holds ${Math.floor(this.#maxKeys / 2)} or fewer`);
    clearInterval(this.#resumeTimer);
    const resumeTimer = setInterval(() => {
      void (async () => {
        if ((await this.store.count()) > this.#maxKeys / 2 || this.#closed || this.#watch !== undefined) return;
        await this.start(0);
        clearInterval(resumeTimer);
        this.#onResumed();
      })().catch(() => undefined);
    }, this.#resumeCheckMs).unref();
    this.#resumeTimer = resumeTimer;
  }
}

/** Mirrors `store` (see `MirroredKvStore`); resolves once its current values are in, or after `loadWaitMs`. */
export async function mirrorKvStore<T>(store: KvStore<T>, options: KvMirrorOptions = {}): Promise<MirroredKvStore<T>> {
  const mirror = new MirroredKvStore(store, options);
  await mirror.start(options.loadWaitMs);
  return mirror;
}
