/** Transport-level failures: they say nothing about authentication. */
import { redactIdentifiers } from "./redact.ts";

/** Nobody subscribes to the requested subject. */
export class NoResponders extends Error {
  override readonly name = "NoResponders";
  constructor(readonly subject: string) {
    // The message is what gets logged: a session's subject names its id, never written in full.
    super(redactIdentifiers(`no responders for ${subject}`));
  }
}

/** Nobody answered the request in time. */
export class RequestTimeout extends Error {
  override readonly name = "RequestTimeout";
  constructor(readonly subject: string, readonly timeoutMs: number) {
    super(redactIdentifiers(`request on ${subject} timed out after ${timeoutMs} ms`));
  }
}

/** The bus was closed or drained. */
export class BusClosed extends Error {
  override readonly name = "BusClosed";
  constructor() {
    super("bus is closed");
  }
}

/** A request whose reply subject this bus does not answer (not an inbox): dropped unhandled. */
export class ForbiddenReplySubject extends Error {
  override readonly name = "ForbiddenReplySubject";
  constructor(readonly reply: string) {
    // The subject only, cut short: it came from whoever sent the request.
    super(`ignored a request whose reply subject is not an inbox: ${JSON.stringify(reply.slice(0, 80))}`);
  }
}

/** A payload over what the connection may send (NATS: the server's `max_payload`): nothing was sent. */
export class PayloadTooLarge extends Error {
  override readonly name = "PayloadTooLarge";
  constructor(readonly subject: string, readonly bytes: number, readonly limit: number) {
    super(redactIdentifiers(`payload of ${bytes} bytes on ${subject} is over the connection's limit of ${limit}`));
  }
}
