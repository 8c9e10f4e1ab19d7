/** A rate limiter that counts in its own process while the shared one cannot be opened, and moves to it once it can. */
import type { Bus } from "../../transports/bus.ts";
import type { RateLimiter, RateLimitKeys } from "./rate-limiter.ts";

export interface LocalUntilSharedOptions {
  /** The connection whose return is a moment to try again (a nats-server restarted with JetStream). */
  readonly bus?: Bus;
  /** How often to try again meanwhile; default 10000 ms. */
  readonly retryEveryMs?: number;
  /** Told once, when the shared limiter is in use. */
  readonly onShared?: () => void;
}

const DEFAULT_RETRY_EVERY_MS = 10_000;

/**
 * Counts in `local` until `openShared()` resolves (JetStream became available), then in the
 * shared limiter as well. A portal started while nats-server had no JetStream otherwise counted
 * on its own for good, so every such portal added a threshold's worth of guesses per account (an
 * outside probe: 19 refusals before `RateLimited`, where 10 were due). `local` goes on counting
 * after the move, so what it counted before still adds up: a check takes the longer of both
 * waits, and a success resets both. Never rejects where `local` and the shared limiter do not.
 */
export class LocalUntilSharedRateLimiter implements RateLimiter {
  #shared: RateLimiter | undefined;
  #opening = false;
  readonly #timer: NodeJS.Timeout;
  readonly #stopWatching: (() => void) | undefined;

  constructor(
    private readonly local: RateLimiter,
    private readonly openShared: () => Promise<RateLimiter>,
    private readonly options: LocalUntilSharedOptions = {},
  ) {
    this.#timer = setInterval(() => this.#tryShared(), options.retryEveryMs ?? DEFAULT_RETRY_EVERY_MS);
    this.#timer.unref();
    this.#stopWatching = options.bus?.onConnectionChange?.((connected) => {
      if (connected) this.#tryShared();
    });
  }

  /** Whether counts go to the shared limiter now. */
  get shared(): boolean {
    return this.#shared !== undefined;
  }

  async check(keys: RateLimitKeys): Promise<number> {
    const local = await this.local.check(keys);
    return this.#shared === undefined ? local : Math.max(local, await this.#shared.check(keys));
  }

  async failed(keys: RateLimitKeys): Promise<void> {
    // Counted here too after the move: an account's refusals from before it go on adding up.
    await this.local.failed(keys);
    await this.#shared?.failed(keys);
  }

  async succeeded(keys: RateLimitKeys): Promise<void> {
    await this.local.succeeded(keys);
    await this.#shared?.succeeded(keys);
  }

  #tryShared(): void {
    if (this.#shared !== undefined || this.#opening) return;
    this.#opening = true;
    this.openShared().then(
      (shared) => {
        this.#opening = false;
        if (this.#shared !== undefined) return;
        this.#shared = shared;
        clearInterval(this.#timer);
        this.#stopWatching?.();
        this.options.onShared?.();
      },
      () => {
        // Still no JetStream (or no connection): the next round tries again.
        this.#opening = false;
      },
    );
  }
}
