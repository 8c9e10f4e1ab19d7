/** The embedded bus: NATS subject semantics inside one process, no server needed. */
import { randomBytes } from "node:crypto";
import type { Bus, BusMessage, BusSubscription, MessageHandler, RequestOptions, SubscribeOptions } from "./bus.ts";
import { BusClosed, NoResponders, PayloadTooLarge, RequestTimeout } from "./errors.ts";
import { HandlerRunner, type HandlerErrorListener } from "./handler-runner.ts";
import { RoutedSubscription, Router, SubscriptionState as State, type Endpoint } from "./in-process-router.ts";
import { assertSubject, assertSubscription, invalidRequest, SubjectUse } from "./validation.ts";

/** Options shared by every endpoint of an in-process network. */
export interface InProcessOptions {
  /** Default request timeout; 10000 ms when absent. */
  readonly timeoutMs?: number;
  /** Told when a handler throws or rejects; by default one process warning per subscription. */
  readonly onHandlerError?: HandlerErrorListener;
  /** The largest payload an endpoint may send, as a nats-server's `max_payload`; absent: no limit. */
  readonly maxPayload?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * One routing table shared by many endpoints, as one nats-server is shared by many
 * connections. Delivery is asynchronous (never inside `publish`) and in publish order.
 */
export class InProcessNetwork {
  readonly #router = new Router();
  readonly #options: InProcessOptions;

  constructor(options: InProcessOptions = {}) {
    this.#options = options;
  }

  /** A new endpoint: closing or draining it only affects its own subscriptions and requests. */
  connect(name?: string): Bus {
    return new InProcessBus(this.#router, name, this.#options);
  }
}

/** A fresh network's only endpoint: the quickest way to a working bus. */
export function createInProcessBus(options?: InProcessOptions): Bus {
  return new InProcessNetwork(options).connect();
}

interface PendingRequest {
  readonly resolve: (data: Uint8Array) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

class InProcessBus implements Bus, Endpoint {
  readonly closed: Promise<void>;
  readonly runner: HandlerRunner;
  readonly #router: Router;
  readonly #timeoutMs: number;
  readonly #subs = new Set<RoutedSubscription>();
  readonly #pending = new Map<string, PendingRequest>();
  // Replies to this endpoint's requests arrive on one wildcard subscription, looked up by token.
  readonly #replyPrefix = `_INBOX.${randomId()}.`;
  #replySub: RoutedSubscription | undefined;
  #nextToken = 0;
  #state: State = State.open;
  #draining: Promise<void> | undefined;
  #resolveClosed!: () => void;

  readonly maxPayload: number | undefined;

  constructor(router: Router, readonly name: string | undefined, options: InProcessOptions) {
    this.#router = router;
    this.maxPayload = options.maxPayload;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.runner = new HandlerRunner(options.onHandlerError);
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  request(subject: string, data: Uint8Array, options?: RequestOptions): Promise<Uint8Array> {
    if (this.#state === State.closed) return Promise.reject(new BusClosed());
    const timeoutMs = options?.timeoutMs ?? this.#timeoutMs;
    const invalid = invalidRequest(subject, timeoutMs);
    if (invalid) return invalid;
    if (this.maxPayload !== undefined && data.byteLength > this.maxPayload) return Promise.reject(new PayloadTooLarge(subject, data.byteLength, this.maxPayload));
    const match = this.#router.match(subject);
    if (match.plain.length === 0 && match.groups.length === 0) {
      return Promise.reject(new NoResponders(subject));
    }
    this.#replySub ??= this.#listen(`${this.#replyPrefix}*`, this.#onReply);
    const token = (this.#nextToken++).toString(36);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(token);
        reject(new RequestTimeout(subject, timeoutMs));
      }, timeoutMs);
      this.#pending.set(token, { resolve, reject, timer });
      this.#router.route(match, subject, data, this.#replyPrefix + token);
    });
  }

  publish(subject: string, data: Uint8Array, options?: { readonly reply?: string }): void {
    if (this.#state === State.closed) throw new BusClosed();
    assertSubject(subject, SubjectUse.publish);
    const reply = options?.reply;
    if (reply !== undefined) assertSubject(reply, SubjectUse.publish);
    if (this.maxPayload !== undefined && data.byteLength > this.maxPayload) throw new PayloadTooLarge(subject, data.byteLength, this.maxPayload);
    const match = this.#router.match(subject);
    // As nats-server does for a client that asks for it (nats.js always does): a message with a
    // reply subject that nobody hears gets an empty no-responders status on that subject.
    if (reply !== undefined && match.plain.length === 0 && match.groups.length === 0) {
      this.#router.route(this.#router.match(reply), reply, new Uint8Array(), undefined);
      return;
    }
    this.#router.route(match, subject, data, reply);
  }

  subscribe(subject: string, handler: MessageHandler, options?: SubscribeOptions): BusSubscription {
    if (this.#state !== State.open) throw new BusClosed();
    const queue = options?.queue;
    assertSubscription(subject, handler, queue);
    const sub = this.#listen(subject, handler, queue);
    this.#subs.add(sub);
    return sub;
  }

  inbox(): string {
    return `_INBOX.${randomId()}`;
  }

  flush(): Promise<void> {
    if (this.#state === State.closed) return Promise.reject(new BusClosed());
    return this.#router.delivered();
  }

  drain(): Promise<void> {
    if (this.#state === State.closed) return this.closed;
    if (this.#draining !== undefined) return this.#draining;
    this.#state = State.draining;
    // Out of the routing table now; deliveries already queued still run (state stays non-closed).
    for (const sub of this.#subs) {
      this.#router.remove(sub);
      sub.state = State.draining;
    }
    // close() during a drain gives up on slow handlers.
    this.#draining = Promise.race([this.runner.idle(), this.closed]).then(() => this.close());
    return this.#draining;
  }

  close(): Promise<void> {
    if (this.#state === State.closed) return this.closed;
    this.#state = State.closed;
    for (const sub of this.#subs) this.#stop(sub);
    this.#subs.clear();
    if (this.#replySub !== undefined) this.#stop(this.#replySub);
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new BusClosed());
    }
    this.#pending.clear();
    this.#resolveClosed();
    return this.closed;
  }

  /** Takes `sub` out of the routing table, lets its queued deliveries run, then forgets it. */
  async drainOne(sub: RoutedSubscription): Promise<void> {
    if (sub.state !== State.open) return;
    this.#router.remove(sub);
    sub.state = State.draining;
    await this.#router.delivered();
    this.forget(sub);
  }

  /** Unsubscribes `sub`; idempotent. */
  forget(sub: RoutedSubscription): void {
    if (sub.state === State.closed) return;
    this.#subs.delete(sub);
    this.#stop(sub);
  }

  #listen(subject: string, handler: MessageHandler, queue?: string): RoutedSubscription {
    const sub = new RoutedSubscription(subject, queue, handler, this);
    this.#router.add(sub);
    return sub;
  }

  #stop(sub: RoutedSubscription): void {
    // A draining subscription has already left the routing table.
    if (sub.state === State.open) this.#router.remove(sub);
    sub.state = State.closed;
  }

  readonly #onReply = (message: BusMessage): void => {
    const token = message.subject.slice(this.#replyPrefix.length);
    const pending = this.#pending.get(token);
    if (pending === undefined) return;
    this.#pending.delete(token);
    clearTimeout(pending.timer);
    pending.resolve(message.data);
  };
}

function randomId(): string {
  return randomBytes(12).toString("base64url");
}
