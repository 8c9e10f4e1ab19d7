/** Serving one request subject: decode, handle, reply; garbage gets `BadRequest` and serving goes on. */
import type { Bus, BusMessage, BusSubscription } from "../../transports/bus.ts";
import { PortcullisError, type LoginFailed } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { decodeObject, errorReply } from "../wire/codec.ts";
import { loggableSubject } from "../wire/identifiers.ts";

export type RequestHandler = (body: Record<string, unknown>, message: BusMessage) => Promise<Uint8Array> | Uint8Array;

export interface ServeOptions {
  readonly queue?: string;
  readonly logger: Logger;
  /** The error sent when the handler throws something outside the closed set. */
  readonly fallback: () => PortcullisError | LoginFailed;
}

/** Replies to every request on `subject`; requests without a reply subject are dropped. */
export function serveRequests(bus: Bus, subject: string, handler: RequestHandler, options: ServeOptions): BusSubscription {
  return bus.subscribe(
    subject,
    (message) => {
      void respondTo(message, handler, options);
    },
    options.queue === undefined ? {} : { queue: options.queue },
  );
}

/** Runs `handler` for one message and sends its reply or its error. Never throws. */
export async function respondTo(message: BusMessage, handler: RequestHandler, options: ServeOptions): Promise<void> {
  if (message.reply === undefined) return;
  let reply: Uint8Array;
  try {
    reply = await handler(decodeObject(message.data), message);
  } catch (error) {
    if (!(error instanceof PortcullisError)) {
      options.logger.error({ subject: loggableSubject(message.subject), err: describe(error) }, "unexpected error while serving a request");
    }
    reply = errorReply(error, options.fallback);
  }
  try {
    message.respond(reply);
  } catch (error) {
    options.logger.warn({ subject: loggableSubject(message.subject), err: describe(error) }, "could not send a reply");
  }
}

/** An error's class and message, for a log line; never its stack's arguments. */
export function describe(error: unknown): { type: string; message: string } {
  return error instanceof Error
    ? { type: error.name, message: error.message }
    : { type: typeof error, message: String(error) };
}
