/** Login rate limiting: the RateLimiter contract, its in-memory and JetStream KV implementations, and guardLogin. */
export { DEFAULT_ACCOUNT_POLICY, DEFAULT_SOURCE_POLICY, type BackoffPolicy, type FailureRecord } from "./backoff.ts";
export { guardLogin, type GuardLoginOptions } from "./guard.ts";
export { DEFAULT_RATE_LIMIT_BUCKET, KvRateLimiter, openKvRateLimiter, type KvRateLimiterOptions } from "./kv.ts";
export { LocalUntilSharedRateLimiter, type LocalUntilSharedOptions } from "./local-until-shared.ts";
export { MemoryRateLimiter, type MemoryRateLimiterOptions } from "./memory.ts";
export type { RateLimiter, RateLimiterOptions, RateLimitKeys } from "./rate-limiter.ts";
