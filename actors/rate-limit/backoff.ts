/** The backoff policy of the rate limiters: pure arithmetic on a failure count and the time of the last failure. */

/** When failures start to cost time, and how much. */
export interface BackoffPolicy {
  /** Failures allowed before the first delay; the `threshold`-th failure starts it. */
  readonly threshold: number;
  /** The delay after the `threshold`-th failure; it doubles with each further failure. */
  readonly baseDelayMs: number;
  /** The delay never grows past this. */
  readonly maxDelayMs: number;
  /** A count is forgotten this long after its last failure. */
  readonly forgetAfterMs: number;
}

/**
 * Per account: 10 failures, then 1 s, 2 s, 4 s … up to 15 min; forgotten after an hour without
 * failures. Ten, not fewer: a person mistyping, a client trying each of its mechanisms in turn, or
 * a test suite's refusals must not meet `RateLimited` (NIST SP 800-63B allows up to 100 before
 * lockout); past it the doubling leaves a guesser about four tries an hour.
 */
export const DEFAULT_ACCOUNT_POLICY: BackoffPolicy = {
  threshold: 10,
  baseDelayMs: 1_000,
  maxDelayMs: 15 * 60_000,
  forgetAfterMs: 60 * 60_000,
};

/**
 * Per source: the same curve from 20 failures. Higher than per account because one address may be
 * a NAT or a proxy in front of many honest users; a spray of guesses over many accounts still hits it.
 */
export const DEFAULT_SOURCE_POLICY: BackoffPolicy = { ...DEFAULT_ACCOUNT_POLICY, threshold: 20 };

/** What a limiter stores per account or source. */
export interface FailureRecord {
  readonly failures: number;
  /** Epoch ms of the last failure. */
  readonly lastFailureAt: number;
}

/** Fills in a partial policy; rejects (throws `RangeError`) on nonsense values. */
export function backoffPolicy(defaults: BackoffPolicy, overrides: Partial<BackoffPolicy> = {}): BackoffPolicy {
  const policy = { ...defaults, ...overrides };
  if (!Number.isInteger(policy.threshold) || policy.threshold < 1) throw new RangeError("threshold must be an integer ≥ 1");
  for (const field of ["baseDelayMs", "maxDelayMs", "forgetAfterMs"] as const) {
    if (!Number.isFinite(policy[field]) || policy[field] <= 0) throw new RangeError(`${field} must be > 0`);
  }
  if (policy.maxDelayMs < policy.baseDelayMs) throw new RangeError("maxDelayMs must be ≥ baseDelayMs");
  return policy;
}

/** True when the record is too old to count (or absent). */
export function isForgotten(record: FailureRecord | undefined, policy: BackoffPolicy, now: number): boolean {
  return record === undefined || now - record.lastFailureAt >= policy.forgetAfterMs;
}

/** The delay a record of `failures` imposes after its last failure: 0 below the threshold. */
export function delayFor(failures: number, policy: BackoffPolicy): number {
  if (failures < policy.threshold) return 0;
  // Capped exponent: 2 ** 1024 is Infinity, and the cap is reached long before 2 ** 52.
  const doublings = Math.min(failures - policy.threshold, 52);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** doublings);
}

/** How long from `now` until another attempt is allowed; 0 when it is allowed now. */
export function retryAfterMs(record: FailureRecord | undefined, policy: BackoffPolicy, now: number): number {
  if (record === undefined || isForgotten(record, policy, now)) return 0;
  return Math.max(0, Math.ceil(record.lastFailureAt + delayFor(record.failures, policy) - now));
}

/** The record after one more failure at `now`; a forgotten record starts over. */
export function afterFailure(record: FailureRecord | undefined, policy: BackoffPolicy, now: number): FailureRecord {
  const failures = isForgotten(record, policy, now) ? 1 : record!.failures + 1;
  return { failures, lastFailureAt: now };
}
