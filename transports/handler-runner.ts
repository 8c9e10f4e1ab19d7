/** How every bus calls a handler: failures never escape into the transport, async work holds drain. */
import type { BusMessage, BusSubscription, MessageHandler } from "./bus.ts";
import { redactIdentifiers } from "./redact.ts";

/** Told about a handler that threw or rejected (or a subscription the server refused). */
export type HandlerErrorListener = (
  error: unknown,
  subscription: BusSubscription,
  message?: BusMessage,
) => void;

/**
 * Calls handlers and counts the work `drain` must wait for: messages still queued
 * (`hold`/`release`) and promises returned by async handlers.
 */
export class HandlerRunner {
  #busy = 0;
  #idleWaiters: (() => void)[] = [];
  // Without a listener, one warning per subscription: a handler failing on every message must not flood the log.
  readonly #warned = new WeakSet<BusSubscription>();
  readonly #onError: HandlerErrorListener | undefined;

  constructor(onError?: HandlerErrorListener) {
    this.#onError = onError;
  }

  /** Counts one unit of pending work (a queued delivery). */
  hold(): void {
    this.#busy++;
  }

  /** Ends one unit counted by `hold` (or by an async handler). */
  readonly release = (): void => {
    if (--this.#busy === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const wake of waiters) wake();
    }
  };

  /** Calls `handler`; a throw or rejection is reported, an async handler holds `idle` until it settles. */
  run(subscription: BusSubscription, handler: MessageHandler, message: BusMessage): void {
    let result: void | Promise<void>;
    try {
      result = handler(message);
    } catch (error) {
      this.report(error, subscription, message);
      return;
    }
    if (result !== undefined && typeof (result as { then?: unknown }).then === "function") {
      this.#busy++;
      result.then(this.release, (error: unknown) => {
        this.report(error, subscription, message);
        this.release();
      });
    }
  }

  /** Resolves once no held work and no async handler is pending. */
  idle(): Promise<void> {
    if (this.#busy === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Hands a failure to the listener, or warns once per subscription. */
  report(error: unknown, subscription: BusSubscription, message?: BusMessage): void {
    if (this.#onError !== undefined) {
      try {
        this.#onError(error, subscription, message);
        return;
      } catch (listenerError) {
        error = listenerError;
      }
    }
    if (this.#warned.has(subscription)) return;
    this.#warned.add(subscription);
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    // A session's subject (and whatever a failure says about it) carries its id: never in full.
    process.emitWarning(
      redactIdentifiers(`a handler for ${subscription.subject} failed (later failures of this subscription are not reported): ${detail}`),
      { type: "BusHandlerError" },
    );
  }
}
