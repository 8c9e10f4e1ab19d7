/** The backoff arithmetic shared by every rate limiter. */
import { describe, expect, it } from "vitest";
import {
  afterFailure,
  backoffPolicy,
  DEFAULT_ACCOUNT_POLICY,
  DEFAULT_SOURCE_POLICY,
  delayFor,
  retryAfterMs,
} from "../../../actors/rate-limit/backoff.ts";

const policy = DEFAULT_ACCOUNT_POLICY;

describe("backoff", () => {
  it("should allow 9 failures, then wait 1 s, doubling per failure up to 15 min", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => delayFor(n, policy))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect([10, 11, 12, 13].map((n) => delayFor(n, policy))).toEqual([1000, 2000, 4000, 8000]);
    expect(delayFor(19, policy)).toBe(512_000);
    expect(delayFor(20, policy)).toBe(15 * 60_000);
    expect(delayFor(10_000, policy)).toBe(15 * 60_000);
  });

  it("should count the wait from the last failure", () => {
    const record = { failures: 11, lastFailureAt: 10_000 };
    expect(retryAfterMs(record, policy, 10_000)).toBe(2000);
    expect(retryAfterMs(record, policy, 11_500)).toBe(500);
    expect(retryAfterMs(record, policy, 12_000)).toBe(0);
  });

  it("should forget a record forgetAfterMs after its last failure", () => {
    const record = { failures: 30, lastFailureAt: 0 };
    expect(retryAfterMs(record, policy, policy.forgetAfterMs - 1)).toBe(0);
    expect(afterFailure(record, policy, policy.forgetAfterMs - 1).failures).toBe(31);
    expect(afterFailure(record, policy, policy.forgetAfterMs)).toEqual({ failures: 1, lastFailureAt: policy.forgetAfterMs });
  });

  it("should give sources a higher threshold than accounts", () => {
    expect(DEFAULT_SOURCE_POLICY.threshold).toBeGreaterThan(DEFAULT_ACCOUNT_POLICY.threshold);
  });

  it("should reject nonsense policies with RangeError", () => {
    expect(() => backoffPolicy(policy, { threshold: 0 })).toThrow(RangeError);
    expect(() => backoffPolicy(policy, { baseDelayMs: -1 })).toThrow(RangeError);
    expect(() => backoffPolicy(policy, { maxDelayMs: 10 })).toThrow(RangeError);
    expect(() => backoffPolicy(policy, { forgetAfterMs: Number.NaN })).toThrow(RangeError);
  });
});
