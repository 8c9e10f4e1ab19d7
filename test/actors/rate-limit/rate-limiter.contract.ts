/**
 * What every RateLimiter does, run over each implementation (in memory, NATS KV). The clock is
 * the limiter's `now` option, so no test waits.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_ACCOUNT_POLICY } from "../../../actors/rate-limit/backoff.ts";
import type { RateLimiter, RateLimiterOptions } from "../../../actors/rate-limit/rate-limiter.ts";

/** An account threshold of 5, for the tests of how counting works rather than of the default. */
const FIVE: RateLimiterOptions = { account: { threshold: 5 } };

export type MakeLimiter = (options: RateLimiterOptions) => Promise<RateLimiter>;

/** A clock that only moves when told. */
export class ManualClock {
  constructor(public ms = 1_700_000_000_000) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

async function fail(limiter: RateLimiter, keys: { account?: string; source?: string }, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await limiter.failed(keys);
}

export function rateLimiterContract(name: string, make: MakeLimiter): void {
  describe(`RateLimiter contract: ${name}`, () => {
    const setUp = async (options: RateLimiterOptions = {}) => {
      const clock = new ManualClock();
      return { clock, limiter: await make({ now: clock.now, ...options }) };
    };

    it("should allow an account and a source never seen", async () => {
      const { limiter } = await setUp();
      expect(await limiter.check({ account: "alice", source: "10.0.0.1" })).toBe(0);
    });

    it("should allow 9 failures by default and limit from the 10th, for 1 s then 2 s", async () => {
      expect(DEFAULT_ACCOUNT_POLICY.threshold).toBe(10);
      const { limiter, clock } = await setUp();
      const alice = { account: "alice" };
      await fail(limiter, alice, 9);
      expect(await limiter.check(alice)).toBe(0);
      await limiter.failed(alice);
      expect(await limiter.check(alice)).toBe(1000);
      clock.advance(400);
      expect(await limiter.check(alice)).toBe(600);
      clock.advance(600);
      expect(await limiter.check(alice)).toBe(0);
      await limiter.failed(alice);
      expect(await limiter.check(alice)).toBe(2000);
    });

    it("should count nothing on check", async () => {
      const { limiter } = await setUp();
      for (let i = 0; i < 10; i++) expect(await limiter.check({ account: "alice", source: "s" })).toBe(0);
    });

    it("should count an account's failures from every source", async () => {
      const { limiter } = await setUp(FIVE);
      for (let i = 0; i < 5; i++) await limiter.failed({ account: "alice", source: `10.0.0.${i}` });
      expect(await limiter.check({ account: "alice", source: "10.0.0.99" })).toBe(1000);
      expect(await limiter.check({ account: "bob", source: "10.0.0.1" })).toBe(0);
    });

    it("should count a source's failures over every account", async () => {
      const { limiter } = await setUp();
      for (let i = 0; i < 20; i++) await limiter.failed({ account: `user${i}`, source: "10.0.0.1" });
      expect(await limiter.check({ account: "someone-else", source: "10.0.0.1" })).toBe(1000);
      expect(await limiter.check({ account: "someone-else", source: "10.0.0.2" })).toBe(0);
    });

    it("should answer the longer wait of the account's and the source's", async () => {
      const { limiter } = await setUp({ ...FIVE, source: { threshold: 5 } });
      await fail(limiter, { account: "alice", source: "s" }, 5);
      await fail(limiter, { source: "s" }, 2);
      expect(await limiter.check({ account: "alice", source: "s" })).toBe(4000);
      expect(await limiter.check({ account: "alice" })).toBe(1000);
    });

    it("should reset the account's count on success, but not the source's", async () => {
      const { limiter, clock } = await setUp({ ...FIVE, source: { threshold: 5 } });
      await fail(limiter, { account: "alice", source: "s" }, 5);
      clock.advance(1000);
      await limiter.succeeded({ account: "alice", source: "s" });
      expect(await limiter.check({ account: "alice" })).toBe(0);
      await fail(limiter, { account: "alice" }, 4);
      expect(await limiter.check({ account: "alice" })).toBe(0);
      // The source was at 5: one more failure from it is its 6th.
      await limiter.failed({ source: "s" });
      expect(await limiter.check({ source: "s" })).toBe(2000);
    });

    it("should forget a count forgetAfterMs after its last failure", async () => {
      const { limiter, clock } = await setUp({ account: { threshold: 5, forgetAfterMs: 60_000 } });
      await fail(limiter, { account: "alice" }, 10);
      expect(await limiter.check({ account: "alice" })).toBe(32_000);
      clock.advance(60_000);
      expect(await limiter.check({ account: "alice" })).toBe(0);
      await fail(limiter, { account: "alice" }, 4);
      expect(await limiter.check({ account: "alice" })).toBe(0);
    });

    it("should follow a configured policy", async () => {
      const { limiter } = await setUp({ account: { threshold: 2, baseDelayMs: 50, maxDelayMs: 100 } });
      await fail(limiter, { account: "alice" }, 2);
      expect(await limiter.check({ account: "alice" })).toBe(50);
      await fail(limiter, { account: "alice" }, 3);
      expect(await limiter.check({ account: "alice" })).toBe(100);
    });

    it("should take names of any alphabet and length", async () => {
      const { limiter } = await setUp(FIVE);
      const odd = ["ä lice.*>", "", "x".repeat(10_000), "a.b", "../../etc"];
      for (const account of odd) await fail(limiter, { account }, 5);
      for (const account of odd) expect(await limiter.check({ account })).toBe(1000);
      expect(await limiter.check({ account: "alice" })).toBe(0);
    });

    it("should keep accounts and sources of the same name apart", async () => {
      const { limiter } = await setUp({ ...FIVE, source: { threshold: 5 } });
      await fail(limiter, { account: "x" }, 5);
      expect(await limiter.check({ source: "x" })).toBe(0);
    });

    it("should do nothing for no keys", async () => {
      const { limiter } = await setUp();
      await limiter.failed({});
      await limiter.succeeded({});
      expect(await limiter.check({})).toBe(0);
    });
  });
}
