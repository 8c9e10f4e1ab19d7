/** Observing nats-server's permission violations from a test, through a NatsBus (no @nats-io import). */
import type { NatsBus } from "../../transports/nats.ts";

/** What the server refused: `operation` is nats.js's `"publish"` or `"subscription"`. */
export interface Violation {
  readonly operation: string;
  readonly subject: string;
}

/**
 * The PermissionViolationError in `error` or its cause chain. nats.js v3 rejects a request to
 * a subject the user may not publish with `RequestError` caused by `PermissionViolationError`
 * (the bus passes that through untranslated, since it is neither a timeout nor no-responders).
 */
export function violationIn(error: unknown): Violation | undefined {
  for (let e = error; typeof e === "object" && e !== null; e = (e as { cause?: unknown }).cause) {
    const candidate = e as { name?: unknown; operation?: unknown; subject?: unknown };
    if (candidate.name === "PermissionViolationError" && typeof candidate.subject === "string") {
      return { operation: String(candidate.operation), subject: candidate.subject };
    }
  }
  return undefined;
}

/**
 * Records every permission violation the server reports on `bus`'s connection. The server
 * answers a refused PUB or SUB with an asynchronous `-ERR 'Permissions Violation …'`; nats.js
 * dispatches it as a status `{type: "error", error: PermissionViolationError}` (and closes a
 * refused subscription with that error, which the bus hands to `onHandlerError`).
 */
export function recordViolations(bus: NatsBus): Violation[] {
  const seen: Violation[] = [];
  void (async () => {
    for await (const status of bus.connection.status()) {
      if (status.type !== "error") continue;
      const violation = violationIn(status.error);
      if (violation) seen.push(violation);
    }
  })();
  return seen;
}

/** Resolves with the rejection of `promise`; fails when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

export async function waitFor(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
