/** The rate limiter contract: failed logins counted per account and per source, and the keys they are stored under. */
import { hashedKey } from "../../transports/kv.ts";
import { backoffPolicy, DEFAULT_ACCOUNT_POLICY, DEFAULT_SOURCE_POLICY, type BackoffPolicy } from "./backoff.ts";

/** Who is attempting: the account (username as presented, known or not) and where from (address, client id). */
export interface RateLimitKeys {
  readonly account?: string;
  readonly source?: string;
}

/**
 * Counts failed logins and says how long to wait. Implementations reject only when their store
 * fails (the KV limiter when JetStream is unreachable); `guardLogin` turns that into `LoginFailed`.
 */
export interface RateLimiter {
  /** Milliseconds until an attempt with these keys is allowed: 0 = allowed now. Counts nothing. */
  check(keys: RateLimitKeys): Promise<number>;
  /** Records one refused attempt against the account and the source. */
  failed(keys: RateLimitKeys): Promise<void>;
  /** Records a success: the account's count is reset; the source's is not (see docs/security.md). */
  succeeded(keys: RateLimitKeys): Promise<void>;
}

/** Options every limiter takes. */
export interface RateLimiterOptions {
  readonly account?: Partial<BackoffPolicy>;
  readonly source?: Partial<BackoffPolicy>;
  /** The clock, epoch ms; `Date.now` when absent. */
  readonly now?: () => number;
}

/** The dimension a key counts in. */
export const Dimension = { account: "account", source: "source" } as const;
export type Dimension = (typeof Dimension)[keyof typeof Dimension];

/** One counted key: its dimension, the policy it follows, and its storage id. */
export interface CountedKey {
  readonly dimension: Dimension;
  readonly policy: BackoffPolicy;
  readonly id: string;
}

/** The policies of both dimensions, defaults filled in. Throws `RangeError` on nonsense values. */
export function policiesOf(options: RateLimiterOptions): Record<Dimension, BackoffPolicy> {
  return {
    account: backoffPolicy(DEFAULT_ACCOUNT_POLICY, options.account),
    source: backoffPolicy(DEFAULT_SOURCE_POLICY, options.source),
  };
}

/**
 * The keys to count. Ids are hashes: usernames and addresses of any length and alphabet become
 * fixed-size, KV-safe ids, and a store's contents do not list who tried to log in.
 */
export function countedKeys(keys: RateLimitKeys, policies: Record<Dimension, BackoffPolicy>): CountedKey[] {
  const counted: CountedKey[] = [];
  for (const dimension of [Dimension.account, Dimension.source]) {
    const value = keys[dimension];
    if (value === undefined) continue;
    counted.push({ dimension, policy: policies[dimension], id: hashedKey(dimension, `${dimension}\u0000${value}`) });
  }
  return counted;
}
