/** The one small interface every transport implements: request, publish, subscribe, drain. */

/** A message delivered to a subscription. */
export interface BusMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  /** The reply subject, when the sender expects an answer. */
  readonly reply?: string;
  /** Publishes `data` to this message's reply subject; false when there is none. */
  respond(data: Uint8Array): boolean;
}

export interface SubscribeOptions {
  /** Members of one queue group share the messages: each goes to exactly one of them. */
  readonly queue?: string;
}

export interface RequestOptions {
  /** How long to wait for the first reply; the transport's default when absent. */
  readonly timeoutMs?: number;
}

/** A live subscription; unsubscribing and draining are idempotent. */
export interface BusSubscription {
  readonly subject: string;
  /** Stops at once: a message already on its way to this subscriber is dropped. */
  unsubscribe(): void;
  /**
   * Stops new deliveries, lets every message already on its way reach the handler, then
   * unsubscribes. For a queue-group member leaving while requests stream in: with `unsubscribe`
   * the requests routed to it just before would be lost and time out at their senders.
   */
  drain(): Promise<void>;
}

/**
 * Receives each message of a subscription, in order. When it returns a promise, `drain`
 * waits for it to settle; a throw or rejection is reported and never stops delivery.
 */
export type MessageHandler = (message: BusMessage) => void | Promise<void>;

/**
 * A subject-based message bus (NATS semantics: `.`-separated tokens, `*` matches one
 * token, `>` matches one or more trailing tokens).
 *
 * `request` rejects with `NoResponders` when nobody subscribes to the subject,
 * `RequestTimeout` when nobody answered in time, and `BusClosed` after `close`/`drain`.
 * A `publish` with a `reply` subject that nobody hears gets one empty message on `reply` (NATS's
 * no-responders status), so a reply awaited on a subscription of one's own learns it too.
 */
export interface Bus {
  request(subject: string, data: Uint8Array, options?: RequestOptions): Promise<Uint8Array>;
  publish(subject: string, data: Uint8Array, options?: { readonly reply?: string }): void;
  subscribe(subject: string, handler: MessageHandler, options?: SubscribeOptions): BusSubscription;
  /**
   * The largest payload this connection may send (NATS: the server's `max_payload`, 1 MiB unless
   * configured); undefined: no limit. `publish`, `request` and `respond` throw `PayloadTooLarge`
   * above it, and send nothing.
   */
  readonly maxPayload?: number | undefined;
  /** A fresh unique subject to receive on (NATS's `_INBOX.…`). */
  inbox(): string;
  /** Resolves once everything published so far has reached the server. */
  flush(): Promise<void>;
  /** Lets in-flight handlers finish, stops every subscription, then closes. */
  drain(): Promise<void>;
  /**
   * Closes without waiting for handlers; pending requests reject with `BusClosed` and no handler
   * runs after. What was published before is still delivered: over NATS, once the server says it
   * has read it (at most 2 s).
   */
  close(): Promise<void>;
  /** Resolves when the bus is closed, by `close`, `drain` or loss of the connection. */
  readonly closed: Promise<void>;
  /**
   * Tells `listener` when the connection is lost (`false`) and when it is back (`true`); returns
   * a function that stops telling it. Absent on a transport that cannot lose its connection
   * (in-process). While it is lost, nothing published reaches anyone, and nats.js 3 drops what
   * was published meanwhile when it reconnects (its outbound buffer is reset): a request sent
   * then meets its timeout, and a message that matters must be sent again once it is back.
   */
  onConnectionChange?(listener: (connected: boolean) => void): () => void;
}
