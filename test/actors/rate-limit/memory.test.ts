/** MemoryRateLimiter: the shared contract, and its memory bound under a flood of names. */
import { describe, expect, it } from "vitest";
import { MemoryRateLimiter } from "../../../actors/rate-limit/memory.ts";
import { ManualClock, rateLimiterContract } from "./rate-limiter.contract.ts";

rateLimiterContract("in memory", async (options) => new MemoryRateLimiter(options));

describe("MemoryRateLimiter", () => {
  it("should hold at most maxEntries per tier under a flood of random usernames", async () => {
    const limiter = new MemoryRateLimiter({ maxEntries: 100 });
    for (let i = 0; i < 5_000; i++) await limiter.failed({ account: `random-${i}-${Math.random()}` });
    expect(limiter.size).toBeLessThanOrEqual(200);
  });

  it("should keep an account past its threshold through a flood of single failures", async () => {
    const clock = new ManualClock();
    const limiter = new MemoryRateLimiter({ maxEntries: 100, now: clock.now });
    for (let i = 0; i < 10; i++) await limiter.failed({ account: "alice" });
    for (let i = 0; i < 1_000; i++) await limiter.failed({ account: `random-${i}` });
    expect(await limiter.check({ account: "alice" })).toBe(1000);
  });

  it("should evict the least recently failed record first", async () => {
    const clock = new ManualClock();
    const limiter = new MemoryRateLimiter({ maxEntries: 2, account: { threshold: 2 }, now: clock.now });
    // "a" reaches its threshold and moves to the other tier; below it remain b, then c.
    for (const account of ["a", "b", "a", "c"]) await limiter.failed({ account });
    // d overflows the lower tier: b, the least recent, goes.
    await limiter.failed({ account: "d" });
    // So this is b's first failure again, still below the threshold of 2.
    await limiter.failed({ account: "b" });
    expect(await limiter.check({ account: "b" })).toBe(0);
    expect(await limiter.check({ account: "a" })).toBe(1000);
  });

  it("should reject a nonsense maxEntries", () => {
    expect(() => new MemoryRateLimiter({ maxEntries: 0 })).toThrow(RangeError);
  });
});
