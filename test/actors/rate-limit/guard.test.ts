/** guardLogin: how a login attempt goes through a rate limiter. */
import { describe, expect, it, vi } from "vitest";
import { CheckerUnavailable, LoginFailed, RateLimited, UnauthorizedLogin } from "../../../actors/errors.ts";
import { guardLogin } from "../../../actors/rate-limit/guard.ts";
import { MemoryRateLimiter } from "../../../actors/rate-limit/memory.ts";
import type { RateLimiter } from "../../../actors/rate-limit/rate-limiter.ts";
import { ManualClock } from "./rate-limiter.contract.ts";

const keys = { account: "alice", source: "10.0.0.1" };
const refuse = () => Promise.reject(new UnauthorizedLogin());

function limited() {
  const clock = new ManualClock();
  return { clock, limiter: new MemoryRateLimiter({ now: clock.now }) };
}

describe("guardLogin", () => {
  it("should resolve to the attempt's result", async () => {
    expect(await guardLogin(limited().limiter, keys, () => "alice")).toBe("alice");
  });

  it("should reject with RateLimited and its retryAfterMs, without running the attempt, once limited", async () => {
    const { limiter } = limited();
    for (let i = 0; i < 10; i++) await expect(guardLogin(limiter, keys, refuse)).rejects.toBeInstanceOf(UnauthorizedLogin);
    const attempt = vi.fn(() => "alice");
    const error = await guardLogin(limiter, keys, attempt).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimited);
    expect((error as RateLimited).retryAfterMs).toBe(1000);
    expect((error as RateLimited).code).toBe("RateLimited");
    expect(attempt).not.toHaveBeenCalled();
  });

  it("should check a burst of simultaneous attempts for one account one after another: ten run, the rest are RateLimited, the right password among them too", async () => {
    // An outside probe: 200 logins for one account sent at once all passed the check before any
    // refusal was counted, and the right password, sent last, opened a session.
    const { limiter } = limited();
    const attempt = vi.fn(async (password: string) => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      if (password !== "right") throw new UnauthorizedLogin();
      return "alice";
    });
    const burst = [...Array.from({ length: 49 }, () => "wrong"), "right"].map((password) =>
      guardLogin(limiter, keys, () => attempt(password)).then(
        () => "ok",
        (e: unknown) => (e as Error).name,
      ),
    );
    const outcomes = await Promise.all(burst);
    expect(attempt).toHaveBeenCalledTimes(10);
    expect(outcomes.filter((o) => o === "UnauthorizedLogin")).toHaveLength(10);
    expect(outcomes.filter((o) => o === "RateLimited")).toHaveLength(40);
    expect(outcomes.at(-1)).toBe("RateLimited");
  });

  it("should not make one account's attempts wait for another's", async () => {
    const { limiter } = limited();
    let release!: () => void;
    const slow = guardLogin(limiter, keys, () => new Promise<string>((resolve) => (release = () => resolve("alice"))));
    expect(await guardLogin(limiter, { account: "bob", source: "10.0.0.1" }, () => "bob")).toBe("bob");
    release();
    expect(await slow).toBe("alice");
  });

  it("should not count attempts refused for the rate", async () => {
    const { limiter, clock } = limited();
    for (let i = 0; i < 10; i++) await guardLogin(limiter, keys, refuse).catch(() => undefined);
    for (let i = 0; i < 10; i++) await expect(guardLogin(limiter, keys, refuse)).rejects.toBeInstanceOf(RateLimited);
    clock.advance(1000);
    expect(await guardLogin(limiter, keys, () => "alice")).toBe("alice");
  });

  it("should not count a checker that is down", async () => {
    const { limiter } = limited();
    for (let i = 0; i < 10; i++) {
      await guardLogin(limiter, keys, () => Promise.reject(new CheckerUnavailable())).catch(() => undefined);
      await guardLogin(limiter, keys, () => Promise.reject(new LoginFailed())).catch(() => undefined);
    }
    expect(await limiter.check(keys)).toBe(0);
  });

  it("should reset the account's count after a success", async () => {
    const { limiter } = limited();
    for (let i = 0; i < 9; i++) await guardLogin(limiter, keys, refuse).catch(() => undefined);
    await guardLogin(limiter, keys, () => "alice");
    await guardLogin(limiter, keys, refuse).catch(() => undefined);
    expect(await limiter.check({ account: "alice" })).toBe(0);
  });

  it("should fail closed with LoginFailed when the limiter cannot check", async () => {
    const onError = vi.fn();
    const broken: RateLimiter = {
      check: () => Promise.reject(new Error("jetstream down")),
      failed: async () => undefined,
      succeeded: async () => undefined,
    };
    const attempt = vi.fn(() => "alice");
    const error = await guardLogin(broken, keys, attempt, { onError }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoginFailed);
    expect(error).not.toBeInstanceOf(UnauthorizedLogin);
    expect(attempt).not.toHaveBeenCalled();
    expect(onError).toHaveBeenCalledExactlyOnceWith(expect.any(Error), "check");
  });

  it("should keep the login's own outcome when recording it fails", async () => {
    const onError = vi.fn();
    const flaky: RateLimiter = {
      check: async () => 0,
      failed: () => Promise.reject(new Error("lost")),
      succeeded: () => Promise.reject(new Error("lost")),
    };
    await expect(guardLogin(flaky, keys, refuse, { onError })).rejects.toBeInstanceOf(UnauthorizedLogin);
    expect(await guardLogin(flaky, keys, () => "alice", { onError })).toBe("alice");
    expect(onError.mock.calls.map(([, step]) => step)).toEqual(["record", "record"]);
  });
});
