/** The Portal under a rate limiter: refusals counted per account, RateLimited past the threshold. */
import { describe, expect, it } from "vitest";
import { InMemoryUsernamePasswordDatabaseDontUse } from "../../actors/checkers/in-memory.ts";
import { UsernamePassword } from "../../actors/credentials/username-password.ts";
import { RateLimited, UnauthorizedLogin } from "../../actors/errors.ts";
import { Portal } from "../../actors/portal.ts";
import { MemoryRateLimiter } from "../../actors/rate-limit/memory.ts";
import { TestRealm } from "../support/test-realm.ts";

function setUp(now: () => number) {
  const checker = new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" });
  let checks = 0;
  const counting = { credentialKinds: checker.credentialKinds, requestAvatarId: (c: UsernamePassword) => (checks++, checker.requestAvatarId(c)) };
  const portal = new Portal(new TestRealm(), [counting], { rateLimiter: new MemoryRateLimiter({ now }) });
  const login = (password: string, source?: string) =>
    source === undefined
      ? portal.login(new UsernamePassword("alice", password), null, "test.Testable")
      : portal.openSession(new UsernamePassword("alice", password), null, ["test.Testable"], { source }).ready;
  return { portal, login, checks: () => checks };
}

describe("Portal rate limiting", () => {
  it("answers RateLimited with retryAfterMs after repeated refusals, without asking the checker", async () => {
    let now = 1_000_000;
    const { login, checks } = setUp(() => now);
    for (let i = 0; i < 10; i++) await expect(login("wrong")).rejects.toBeInstanceOf(UnauthorizedLogin);
    const before = checks();
    const limited = await login("pw").catch((e) => e);
    expect(limited).toBeInstanceOf(RateLimited);
    expect(limited.code).toBe("RateLimited");
    expect(limited.retryAfterMs).toBeGreaterThan(0);
    expect(checks()).toBe(before);
    now += limited.retryAfterMs + 1;
    await expect(login("pw")).resolves.toBeDefined();
  });

  it("resets an account's count on a success", async () => {
    const now = 1_000_000;
    const { login } = setUp(() => now);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 9; i++) await expect(login("wrong")).rejects.toBeInstanceOf(UnauthorizedLogin);
      await expect(login("pw")).resolves.toBeDefined();
    }
  });

  it("does not count a checker that is down as the user's failure", async () => {
    const checker = new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" });
    let down = true;
    const portal = new Portal(
      new TestRealm(),
      [{ credentialKinds: ["username-password"], requestAvatarId: (c: UsernamePassword) => (down ? Promise.reject(new Error("db down")) : checker.requestAvatarId(c)) }],
      { rateLimiter: new MemoryRateLimiter({ account: { threshold: 3 } }) },
    );
    // Twice the threshold: counted as refusals, the last of these would be RateLimited.
    for (let i = 0; i < 6; i++) {
      const error = await portal.login(new UsernamePassword("alice", "pw"), null, "test.Testable").catch((e) => e);
      expect(error).not.toBeInstanceOf(RateLimited);
      expect(error).not.toBeInstanceOf(UnauthorizedLogin);
    }
    down = false;
    await expect(portal.login(new UsernamePassword("alice", "pw"), null, "test.Testable")).resolves.toMatchObject({ interface: "test.Testable" });
  });
});
