/** One login attempt under a rate limiter: check first, then count the outcome. */
import { LoginFailed, RateLimited, UnauthorizedLogin } from "../errors.ts";
import type { RateLimiter, RateLimitKeys } from "./rate-limiter.ts";

/** When a rate limiter failed: deciding whether to let an attempt through, or recording its outcome. */
export type RateLimiterStep = "check" | "record";

export interface GuardLoginOptions {
  /**
   * Told when the limiter fails: at `check` the attempt fails closed (`LoginFailed`); at `record`
   * the login's own outcome stands.
   */
  readonly onError?: (error: unknown, step: RateLimiterStep) => void;
}

/**
 * Runs `attempt` unless the keys are limited. Rejects with `RateLimited` (without running
 * `attempt`) when they are, with `LoginFailed` when the limiter cannot say (fail closed: an
 * unreachable store must not mean unlimited guessing), and otherwise with `attempt`'s own error.
 * Only `UnauthorizedLogin` counts as a failure: a checker that is down is not the user's fault.
 */
export function guardLogin<T>(
  limiter: RateLimiter,
  keys: RateLimitKeys,
  attempt: () => Promise<T> | T,
  options: GuardLoginOptions = {},
): Promise<T> {
  const account = keys.account;
  if (account === undefined) return checkAndAttempt(limiter, keys, attempt, options);
  // One attempt per account at a time (in this process), each checked once the one before it is
  // counted: an outside probe sent 200 logins for one account at once, all passed the check
  // before any refusal was counted, and the right password among them opened a session. A
  // burst now gets its first refusals, then RateLimited, as attempts one after another do.
  let waiting = accountQueues.get(limiter);
  if (waiting === undefined) accountQueues.set(limiter, (waiting = new Map()));
  const previous = waiting.get(account);
  const run = () => checkAndAttempt(limiter, keys, attempt, options);
  const mine = previous === undefined ? run() : previous.then(run, run);
  // Settles after `mine`, either way; the last one out forgets the account.
  const done = (): void => {
    if (waiting.get(account) === settled) waiting.delete(account);
  };
  const settled = mine.then(done, done);
  waiting.set(account, settled);
  return mine;
}

/** Per limiter, each account's last attempt under way: the next one waits for it. */
const accountQueues = new WeakMap<RateLimiter, Map<string, Promise<void>>>();

async function checkAndAttempt<T>(limiter: RateLimiter, keys: RateLimitKeys, attempt: () => Promise<T> | T, options: GuardLoginOptions): Promise<T> {
  let wait: number;
  try {
    wait = await limiter.check(keys);
  } catch (error) {
    options.onError?.(error, "check");
    throw new LoginFailed("rate limiter unavailable");
  }
  if (wait > 0) throw new RateLimited(wait);
  let result: T;
  try {
    result = await attempt();
  } catch (error) {
    // Recorded before the refusal goes out, so that the client's next attempt already sees it.
    if (error instanceof UnauthorizedLogin) await limiter.failed(keys).catch((e: unknown) => options.onError?.(e, "record"));
    throw error;
  }
  await limiter.succeeded(keys).catch((e: unknown) => options.onError?.(e, "record"));
  return result;
}
