/** Serving one request subject: decode, handle, reply; garbage gets `BadRequest` and serving goes on. */
import type { Bus, BusMessage, BusSubscription } from "../../transports/bus.ts";
import { fromWireError, PortcullisError, type LoginFailed } from "../errors.ts";
import { PayloadTooLarge } from "../../transports/errors.ts";
import type { Logger } from "../logger.ts";
import { decodeObject, errorReply } from "../wire/codec.ts";
import { loggableSubject } from "../wire/identifiers.ts";

export type RequestHandler = (body: Record<string, unknown>, message: BusMessage) => Promise<Uint8Array> | Uint8Array;

export interface ServeOptions {
  readonly queue?: string;
  readonly logger: Logger;
  /** The error sent when the handler throws something outside the closed set. */
  readonly fallback: () => PortcullisError | LoginFailed;
  /** Told of each request refused with a protocol error (malformed ones included), before the reply. */
  readonly onRefused?: (error: PortcullisError) => void;
}

/**
 * Replies to every request on `subject`; requests without a reply subject are dropped. Draining
 * the subscription also waits for the answers still being worked out (a slow hash, say), so a
 * service that stops answers every request already sent to it before its bus closes.
 */
export function serveRequests(bus: Bus, subject: string, handler: RequestHandler, options: ServeOptions): BusSubscription {
  const inFlight = new InFlight();
  const subscription = bus.subscribe(
    subject,
    // Returned, not voided: the bus's own drain waits for it too.
    (message) => inFlight.track(respondTo(message, handler, options)),
    options.queue === undefined ? {} : { queue: options.queue },
  );
  return {
    subject: subscription.subject,
    unsubscribe: () => subscription.unsubscribe(),
    drain: async () => {
      await subscription.drain();
      await inFlight.settled();
    },
  };
}

/** Counts promises still running; `settled()` resolves when none is. */
class InFlight {
  #count = 0;
  #waiters: Array<() => void> = [];

  track(work: Promise<void>): Promise<void> {
    this.#count++;
    return work.finally(() => {
      if (--this.#count > 0) return;
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
    });
  }

  settled(): Promise<void> {
    return this.#count === 0 ? Promise.resolve() : new Promise((resolve) => this.#waiters.push(resolve));
  }
}

/** Runs `handler` for one message and sends its reply or its error. Never throws. */
export async function respondTo(message: BusMessage, handler: RequestHandler, options: ServeOptions): Promise<void> {
  if (message.reply === undefined) return;
  let reply: Uint8Array;
  try {
    reply = await handler(decodeObject(message.data), message);
  } catch (error) {
    if (!(error instanceof PortcullisError)) {
      options.logger.error({ subject: loggableSubject(message.subject), error: describe(error) }, "unexpected error while serving a request");
    } else options.onRefused?.(error);
    reply = errorReply(error, options.fallback);
  }
  try {
    message.respond(reply);
  } catch (error) {
    if (error instanceof PayloadTooLarge && answerTooLarge(message, error, options)) return;
    options.logger.warn({ subject: loggableSubject(message.subject), error: describe(error) }, "could not send a reply");
  }
}

/**
 * A reply over NATS's `max_payload` (an avatar method's result, say) cannot leave; silence would
 * break PROTOCOL.md's "never silence" (an outside probe's 2.7 MB result met the client's timeout).
 * The caller gets the subject's fallback code (`AvatarError` for a call) saying so; false when
 * even that could not be sent.
 */
function answerTooLarge(message: BusMessage, error: PayloadTooLarge, options: ServeOptions): boolean {
  options.logger.warn({ subject: loggableSubject(message.subject), bytes: error.bytes, limit: error.limit }, "a reply was over NATS's max_payload; the caller was told so");
  const refusal = fromWireError({ code: options.fallback().code, message: `the reply is too large to send (${error.bytes} bytes; the limit is ${error.limit})` });
  try {
    message.respond(errorReply(refusal));
    return true;
  } catch {
    return false;
  }
}

/** `    at fn (file:line:col)` or `    at file:line:col`: a stack frame as V8 writes it, never a message line. */
const FRAME = /^ {4}at (?:(?:async |new )?[^\s()]+(?: \[as [^\]]+\])? \((?:[^()]+):\d+:\d+\)|(?:[^\s()]+):\d+:\d+)$/;

/**
 * An unexpected error, for a log line: its class and where it was thrown, never its message.
 * A checker's or a plugin's message may quote what it was checking (a password, a token), and
 * docs/security.md promises that no secret reaches a log. (Not under pino's `err` key, whose
 * serializer would take any object with a `message` for an Error.)
 */
export function describe(error: unknown): { type: string; at: string[] } {
  if (!(error instanceof Error)) return { type: typeof error, at: [] };
  // A name or a stack can be set by whoever threw: only what has the shape V8 gives them is kept.
  const type = /^[A-Za-z_$][\w$]{0,63}$/.test(error.name) ? error.name : "Error";
  const frames = (error.stack ?? "")
    .split("\n")
    .filter((line) => FRAME.test(line))
    .slice(0, 5);
  return { type, at: frames.map((line) => line.trim().slice(3)) };
}
