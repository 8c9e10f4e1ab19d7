/** A rate limiter in one process's memory, bounded however many distinct names are tried. */
import { afterFailure, isForgotten, retryAfterMs, type BackoffPolicy, type FailureRecord } from "./backoff.ts";
import {
  countedKeys,
  policiesOf,
  type Dimension,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimitKeys,
} from "./rate-limiter.ts";

export interface MemoryRateLimiterOptions extends RateLimiterOptions {
  /** Most records kept in each of the two tiers (below / at or past the threshold); default 10 000. */
  readonly maxEntries?: number;
}

const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * Counts in two bounded maps, each evicting its least recently failed record. A flood of random
 * usernames, each failing once, only churns the lower tier: the records that matter (accounts
 * already at their threshold) sit in the other one and are evicted only by records that
 * themselves reached the threshold. Per process only: use `KvRateLimiter` across portals.
 * Never rejects.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #policies: Record<Dimension, BackoffPolicy>;
  readonly #now: () => number;
  readonly #maxEntries: number;
  /** Below the threshold. Map order is failure order: the first key is the least recent. */
  readonly #probation = new Map<string, FailureRecord>();
  /** At or past the threshold. */
  readonly #protected = new Map<string, FailureRecord>();

  constructor(options: MemoryRateLimiterOptions = {}) {
    this.#policies = policiesOf(options);
    this.#now = options.now ?? Date.now;
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!Number.isInteger(this.#maxEntries) || this.#maxEntries < 1) throw new RangeError("maxEntries must be ≥ 1");
  }

  /** Records held, both tiers (for tests and metrics). */
  get size(): number {
    return this.#probation.size + this.#protected.size;
  }

  async check(keys: RateLimitKeys): Promise<number> {
    // Nothing recorded, nothing to wait for: skip hashing the keys (the common case).
    if (this.size === 0) return 0;
    const now = this.#now();
    let wait = 0;
    for (const { id, policy } of countedKeys(keys, this.#policies)) {
      wait = Math.max(wait, retryAfterMs(this.#live(id, policy, now), policy, now));
    }
    return wait;
  }

  async failed(keys: RateLimitKeys): Promise<void> {
    const now = this.#now();
    for (const { id, policy } of countedKeys(keys, this.#policies)) {
      const next = afterFailure(this.#live(id, policy, now), policy, now);
      this.#forget(id);
      const tier = next.failures >= policy.threshold ? this.#protected : this.#probation;
      tier.set(id, next);
      if (tier.size > this.#maxEntries) tier.delete(tier.keys().next().value!);
    }
  }

  async succeeded(keys: RateLimitKeys): Promise<void> {
    if (this.size === 0) return;
    for (const { id, dimension } of countedKeys(keys, this.#policies)) {
      if (dimension === "account") this.#forget(id);
    }
  }

  #live(id: string, policy: BackoffPolicy, now: number): FailureRecord | undefined {
    const record = this.#probation.get(id) ?? this.#protected.get(id);
    if (record !== undefined && isForgotten(record, policy, now)) {
      this.#forget(id);
      return undefined;
    }
    return record;
  }

  #forget(id: string): void {
    this.#probation.delete(id);
    this.#protected.delete(id);
  }
}
