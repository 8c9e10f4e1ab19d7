/** Permission violations while a service starts: one line and exit 1, never a "ready" service that serves nothing. */
import type { Bus, NatsBus } from "../transports/index.ts";
import { redactIdentifiers } from "../transports/redact.ts";
import { StartupError } from "./startup-error.ts";

/** nats.js's PermissionViolationError, known by its shape: only transports/ imports @nats-io. */
interface PermissionViolation {
  readonly name: "PermissionViolationError";
  readonly operation: "publish" | "subscription";
  readonly subject: string;
}

/** Whether `error` is a server's permission violation (a refused SUB or PUB). */
export function isPermissionViolation(error: unknown): error is PermissionViolation {
  const e = error as Partial<PermissionViolation> | null;
  return error instanceof Error && e!.name === "PermissionViolationError" && typeof e!.subject === "string";
}

/** The violation in `error` or its causes (a refused request arrives wrapped in nats.js's RequestError). */
function violationIn(error: unknown): PermissionViolation | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (isPermissionViolation(e)) return e;
  }
  return undefined;
}

function describeViolation(violation: PermissionViolation): string {
  const verb = violation.operation === "publish" ? "publish to" : "subscribe to";
  const subject = redactIdentifiers(violation.subject);
  // JetStream is used only by the rate limiter's shared counts, which can be turned off.
  const hint = subject.startsWith("$JS.")
    ? " (the rate limiter's JetStream); connect as a service user, or use --rate-limit off"
    : "; connect as a service user (nats.conf's portcullis-service)";
  return `the NATS user may not ${verb} ${subject}${hint}`;
}

/**
 * Watches a service's start. nats.js reports a refused SUB or PUB only as a connection status
 * (and to the subscription's callback), never to the call that made it: without this a service
 * whose NATS user lacks permissions says "ready" and serves nothing.
 */
export class StartupWatch {
  #first: PermissionViolation | undefined;
  #starting = true;

  /** While starting, a violation is the watch's to report as one line, not each subscription's log line. */
  claims(error: unknown): boolean {
    return this.#starting && isPermissionViolation(error);
  }

  /** Listens to the connection's status events; call right after connecting, before any SUB or PUB. */
  watch(bus: NatsBus): void {
    void (async () => {
      for await (const status of bus.connection.status()) {
        // Once started, the next status ends the listening (the loop ends at close anyway).
        if (!this.#starting) break;
        if (status.type === "error" && isPermissionViolation(status.error)) this.#first ??= status.error;
      }
    })();
  }

  /**
   * Runs `steps` (making the service's subscriptions), then a flush: the server answers its PING
   * after every earlier SUB and PUB, so any refusal of them has arrived by then. Rejects with a
   * `StartupError` naming the first refused subject, or with `steps`'s own error; the bus is
   * closed either way, so that the command exits instead of hanging on its connection.
   */
  async start<T>(bus: Bus, steps: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await steps();
      await bus.flush();
    } catch (error) {
      // At most 2 s: on a connection that is reconnecting, a flush waits for it to come back.
      await Promise.race([bus.flush().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      const violation = (await this.#settle()) ?? violationIn(error);
      await bus.close();
      if (violation !== undefined) throw new StartupError(describeViolation(violation));
      throw error;
    }
    const violation = await this.#settle();
    if (violation !== undefined) {
      await bus.close();
      throw new StartupError(describeViolation(violation));
    }
    this.#starting = false;
    return result;
  }

  /** The first violation, once every status already received has been looked at. */
  async #settle(): Promise<PermissionViolation | undefined> {
    // nats.js queues statuses synchronously as they arrive and the loop above takes them in
    // microtasks, which all run before setImmediate's callback.
    await new Promise((resolve) => setImmediate(resolve));
    return this.#first;
  }
}
