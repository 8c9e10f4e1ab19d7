/** A rate limiter shared by every portal, in a JetStream KV bucket, counting with compare-and-set. */
import { changeWithRetry, openKvStore, type KvStore, type KvValueCodec } from "../../transports/kv.ts";
import { MirroredKvStore, mirrorKvStore, type KvMirrorOptions } from "../../transports/kv-mirror.ts";
import type { NatsBus } from "../../transports/nats.ts";
import { afterFailure, retryAfterMs, type BackoffPolicy, type FailureRecord } from "./backoff.ts";
import { MemoryRateLimiter } from "./memory.ts";
import {
  countedKeys,
  policiesOf,
  type Dimension,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimitKeys,
} from "./rate-limiter.ts";

export interface KvRateLimiterOptions extends RateLimiterOptions {
  /** The bucket; `portcullis_rate_limit` when absent. Portals that share it share their counts. */
  readonly bucket?: string;
  /** `file` (default) or `memory`. */
  readonly storage?: "file" | "memory";
  /** Writes lost to a concurrent writer are retried this many times before `failed` rejects; default 100. */
  readonly maxRetries?: number;
  /**
   * Checks read a local copy of the bucket that a watch keeps current (default), instead of one
   * JetStream read per login; `false` reads the bucket every time. See docs/security.md.
   */
  readonly mirror?: false | Pick<KvMirrorOptions, "maxKeys" | "onStopped" | "onResumed">;
}

export const DEFAULT_RATE_LIMIT_BUCKET = "portcullis_rate_limit";
const DEFAULT_MAX_RETRIES = 100;

/** Garbage in the bucket counts as no failures rather than blocking logins or crashing them. */
const recordCodec: KvValueCodec<FailureRecord | undefined> = {
  encode: (record) => new TextEncoder().encode(JSON.stringify(record)),
  decode: (data) => {
    try {
      const value = JSON.parse(new TextDecoder().decode(data)) as Partial<FailureRecord> | null;
      const valid = Number.isSafeInteger(value?.failures) && Number.isFinite(value?.lastFailureAt);
      return valid ? { failures: value!.failures!, lastFailureAt: value!.lastFailureAt! } : undefined;
    } catch {
      return undefined;
    }
  },
};

/**
 * Every failure is a read then an update conditional on the revision read; a write that lost to
 * another portal is retried on the fresh value, so no count is ever lost. Records expire with the
 * bucket's TTL (the longest `forgetAfterMs`). `check` and `succeeded` reject with the store's
 * error when JetStream is unreachable; `failed` also with `KvConflict` after `maxRetries` losses.
 *
 * A failure the store would not take (its writes failing while its reads work: a permission
 * missing, a broken disk) is counted in this process instead, and `check` goes by the higher of
 * the two counts: otherwise every refusal was forgotten and guessing went on unlimited while
 * checks passed (an outside probe saw 30 wrong passwords in a row refused without `RateLimited`).
 */
export class KvRateLimiter implements RateLimiter {
  readonly #policies: Record<Dimension, BackoffPolicy>;
  readonly #now: () => number;
  readonly #maxRetries: number;
  /** Which keys' records the last `check` of a keys object found stored (guardLogin passes one object to both). */
  readonly #stored = new WeakMap<RateLimitKeys, ReadonlySet<string>>();
  /** Failures the store did not take; consulted only once there has been one. */
  readonly #unrecorded: MemoryRateLimiter;
  #anyUnrecorded = false;

  /** Use `openKvRateLimiter`; this takes a store already opened with a TTL at least `forgetAfterMs`. */
  constructor(private readonly store: KvStore<FailureRecord | undefined>, options: KvRateLimiterOptions = {}) {
    this.#policies = policiesOf(options);
    this.#now = options.now ?? Date.now;
    this.#maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.#unrecorded = new MemoryRateLimiter(options);
  }

  async check(keys: RateLimitKeys): Promise<number> {
    const now = this.#now();
    const stored = new Set<string>();
    const waits = await Promise.all(
      countedKeys(keys, this.#policies).map(async ({ id, policy }) => {
        let item = await this.store.get(id);
        // A key with failures is read from JetStream itself: the copy may lag another portal's
        // latest failure by the watch's delay, and an outside probe guessing one attempt after
        // another through three portals got a 6th refusal on 0.5-4% of accounts (10-20% under load)
        // when the copy decided. Accounts with failures are few; the rest stay local.
        if (item !== null && this.store instanceof MirroredKvStore) item = await this.store.getFromStore(id);
        if (item !== null) stored.add(id);
        return retryAfterMs(item?.value, policy, now);
      }),
    );
    this.#stored.set(keys, stored);
    if (this.#anyUnrecorded) waits.push(await this.#unrecorded.check(keys));
    return Math.max(0, ...waits);
  }

  async failed(keys: RateLimitKeys): Promise<void> {
    try {
      await Promise.all(countedKeys(keys, this.#policies).map(({ id, policy }) => this.#increment(id, policy)));
    } catch (error) {
      this.#anyUnrecorded = true;
      await this.#unrecorded.failed(keys);
      throw error;
    }
  }

  async succeeded(keys: RateLimitKeys): Promise<void> {
    // A record the login's own check found absent is not deleted: a delete is a JetStream write,
    // and one per successful login halved `portcullis serve`'s login rate (10.0k vs 17.5k/s at 128
    // in flight) and doubled its p50 (0.69 vs 0.33 ms). A failure another portal records between
    // the check and the success is then left standing, as if it came just after the success.
    const stored = this.#stored.get(keys);
    this.#stored.delete(keys);
    if (this.#anyUnrecorded) await this.#unrecorded.succeeded(keys);
    await Promise.all(
      countedKeys(keys, this.#policies)
        .filter(({ dimension, id }) => dimension === "account" && (stored === undefined || stored.has(id)))
        .map(({ id }) => this.store.delete(id)),
    );
  }

  async #increment(id: string, policy: BackoffPolicy): Promise<void> {
    await changeWithRetry(this.store, id, (record) => afterFailure(record, policy, this.#now()), this.#maxRetries);
  }

}

/** Opens (creating if needed) the shared bucket on the bus's connection. Rejects when JetStream is unavailable. */
export async function openKvRateLimiter(bus: NatsBus, options: KvRateLimiterOptions = {}): Promise<KvRateLimiter> {
  const policies = policiesOf(options);
  // Each key's last write is its last failure: it may go once the longest policy has forgotten it.
  const ttlMs = Math.max(policies.account.forgetAfterMs, policies.source.forgetAfterMs);
  const store = await openKvStore<FailureRecord | undefined>(bus, {
    bucket: options.bucket ?? DEFAULT_RATE_LIMIT_BUCKET,
    ttlMs,
    codec: recordCodec,
    ...(options.storage !== undefined && { storage: options.storage }),
  });
  if (options.mirror === false) return new KvRateLimiter(store, options);
  // A check read JetStream once per login: about 0.2 ms of `portcullis serve`'s 0.5 ms p50.
  const mirror = await mirrorKvStore(store, { ...options.mirror, ttlMs });
  // Back from a lost connection (a nats-server restart, maybe without JetStream for a while): loaded afresh.
  bus.onConnectionChange?.((connected) => {
    if (connected) mirror.reload();
  });
  return new KvRateLimiter(mirror, options);
}
