/** The NATS bus: the Bus interface over a real nats-server, via nats.js v3. */
import {
  ClosedConnectionError,
  connect,
  createInbox,
  DrainingConnectionError,
  NoRespondersError,
  RequestError,
  TimeoutError,
  type Msg,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";
import type { Bus, BusMessage, BusSubscription, MessageHandler, RequestOptions, SubscribeOptions } from "./bus.ts";
import { BusClosed, ForbiddenReplySubject, NoResponders, PayloadTooLarge, RequestTimeout } from "./errors.ts";
import { replyRule, type ReplyRule } from "./reply-subjects.ts";
import { HandlerRunner, type HandlerErrorListener } from "./handler-runner.ts";
import { TurnCork } from "./turn-cork.ts";
import { waitAtMost } from "./wait-at-most.ts";
import { DrainQueue } from "./drain-queue.ts";
import { parseNatsServers } from "./nats-url.ts";
import { watchReconnects } from "./reconnect-clock.ts";
import { assertSubject, assertSubscription, invalidRequest, SubjectUse } from "./validation.ts";

/** Where and how to connect. */
export interface NatsBusOptions {
  /**
   * One URL or several (a comma-separated string or a list). Credentials in a URL
   * (`nats://USER:PASS@host`, `nats://TOKEN@host`, percent-encoded) are used unless `user`/`pass`
   * or `token` are given; every server must carry the same ones.
   */
  readonly servers: string | string[];
  /** The connection's name, shown by the server's monitoring. */
  readonly name?: string;
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  /**
   * Prefix of this connection's reply and mind subjects (default `_INBOX`). Give each client
   * NATS user its own (e.g. `_INBOX_alice`) and allow it to subscribe only to `PREFIX.>`: with one
   * shared prefix any client allowed `_INBOX.>` could read other clients' replies.
   */
  readonly inboxPrefix?: string;
  /**
   * Reply subjects this connection answers besides inboxes (`_INBOX.…`, `_INBOX_<user>.…`): whole-
   * token prefixes. A request whose reply subject is anything else is dropped unhandled, as if it
   * had none (reported through `onHandlerError`): the reply would go out with this connection's
   * permissions wherever the sender chose, `$JS.API.…` included.
   */
  readonly replyPrefixes?: readonly string[];
  /** Default request timeout; 10000 ms when absent. */
  readonly timeoutMs?: number;
  /**
   * Reconnect attempts after the connection is lost before the bus closes for good; default -1,
   * forever. nats.js's own default (10 attempts, 2 s apart) would end every session a portal
   * holds after a NATS outage of 20 s; a service keeps its state and reconnects instead.
   */
  readonly maxReconnectAttempts?: number;
  /** Wait between reconnect attempts to one server (nats.js adds jitter); default 250 ms. */
  readonly reconnectTimeWaitMs?: number;
  /**
   * How long connecting to one server may take, each server of the list in turn (nats.js's
   * `timeout`; its default is 20 s, for something that accepts TCP and never speaks NATS).
   */
  readonly connectTimeoutMs?: number;
  /** Told when a handler throws or rejects; by default one process warning per subscription. */
  readonly onHandlerError?: HandlerErrorListener;
}

/** A bus on one NATS connection. */
export interface NatsBus extends Bus {
  /** The underlying connection, for what the Bus does not cover (JetStream KV); do not close it directly. */
  readonly connection: NatsConnection;
  /** The reply-subject prefixes it answers besides inboxes (`replyPrefixes`); services refuse ones covering their own subjects. */
  readonly replyPrefixes: readonly string[];
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Connects to NATS; rejects with nats.js's connection error when no server answers
 * or the credentials are refused.
 */
export async function connectNatsBus(options: NatsBusOptions): Promise<NatsBus> {
  // Checked before connecting: a bad option must not leave a connection open.
  const repliesTo = replyRule(options.replyPrefixes);
  if (options.inboxPrefix !== undefined && !repliesTo(`${options.inboxPrefix}.x`)) {
    throw new TypeError(`inboxPrefix ${JSON.stringify(options.inboxPrefix)}: services answer only _INBOX or _INBOX_<name> inboxes (or their replyPrefixes)`);
  }
  // nats.js ignores a URL's credentials: without them the connection silently became the server's
  // `no_auth_user` (an outside probe's client, given nats.conf's client user, got full access).
  const target = parseNatsServers(Array.isArray(options.servers) ? options.servers.join(",") : options.servers);
  const explicit = options.user !== undefined || options.pass !== undefined || options.token !== undefined;
  const credentials = explicit ? options : target;
  const connection = await connect({
    servers: target.servers,
    ...(options.name !== undefined && { name: options.name }),
    ...(credentials.user !== undefined && { user: credentials.user }),
    ...(credentials.pass !== undefined && { pass: credentials.pass }),
    ...(credentials.token !== undefined && { token: credentials.token }),
    ...(options.inboxPrefix !== undefined && { inboxPrefix: options.inboxPrefix }),
    maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
    // nats.js waits 2 s between attempts: after a nats-server restart a portal then came back up
    // to 2 s after its clients, whose sessions meanwhile had no responders (outside fault probe).
    reconnectTimeWait: options.reconnectTimeWaitMs ?? 250,
    ...(options.connectTimeoutMs !== undefined && { timeout: options.connectTimeoutMs }),
    // Each request otherwise captures a stack trace up front: measured ~60% more request throughput without.
    noAsyncTraces: true,
  });
  const bus = new NatsBusImpl(connection, options);
  // From its first moment: a client or service made on this bus after a reconnect must still know
  // it was one (a test's challenge client, made just after a nats-server restart, took the portal's
  // no-responders for its absence while the portal was still resubscribing).
  watchReconnects(bus);
  return bus;
}

/** How long `close` waits for nats-server to confirm it has read what was sent before it. */
const CLOSE_FLUSH_MS = 2_000;

const State = { open: 0, draining: 1, closed: 2 } as const;
type State = (typeof State)[keyof typeof State];

class NatsBusImpl implements NatsBus {
  readonly closed: Promise<void>;
  readonly #runner: HandlerRunner;
  readonly #timeoutMs: number;
  readonly #subs = new Set<NatsSubscription>();
  /** A subscription leaves with the next reply, a turn's drains together (turn-cork.ts). */
  readonly #cork: TurnCork;
  /** Bounds the drains in flight (nats.js's PONG matching is O(n) in them; drain-queue.ts). */
  readonly #drains = new DrainQueue();
  #state: State = State.open;
  #draining: Promise<void> | undefined;

  readonly #inboxPrefix: string | undefined;
  /** Which reply subjects this bus answers. */
  readonly repliesTo: ReplyRule;
  /** The prefixes it answers besides inboxes (`replyPrefixes`). */
  readonly replyPrefixes: readonly string[];
  readonly #connectionListeners = new Set<(connected: boolean) => void>();
  #watchingStatus = false;

  constructor(readonly connection: NatsConnection, options: NatsBusOptions) {
    this.#inboxPrefix = options.inboxPrefix;
    this.repliesTo = replyRule(options.replyPrefixes);
    this.replyPrefixes = [...(options.replyPrefixes ?? [])];
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#runner = new HandlerRunner(options.onHandlerError);
    this.#cork = new TurnCork(connection);
    // The connection may also close on its own (server gone for good): the bus follows it.
    this.closed = connection.closed().then(() => {
      this.#state = State.closed;
      for (const done of this.#drainsWaiting) done();
    });
  }

  /** The server's `max_payload`, as it said when this connection (re)connected. */
  get maxPayload(): number | undefined {
    return this.connection.info?.max_payload;
  }

  request(subject: string, data: Uint8Array, options?: RequestOptions): Promise<Uint8Array> {
    if (this.#state === State.closed) return Promise.reject(new BusClosed());
    const timeoutMs = options?.timeoutMs ?? this.#timeoutMs;
    const invalid = invalidRequest(subject, timeoutMs);
    if (invalid) return invalid;
    const limit = this.maxPayload;
    if (limit !== undefined && data.byteLength > limit) return Promise.reject(new PayloadTooLarge(subject, data.byteLength, limit));
    const replied = this.connection.request(subject, data, { timeout: timeoutMs });
    this.#cork.afterPublish();
    return replied.then(
      dataOf,
      (error: unknown) => {
        throw this.#translate(error, subject, timeoutMs);
      },
    );
  }

  publish(subject: string, data: Uint8Array, options?: { readonly reply?: string }): void {
    if (this.#state === State.closed) throw new BusClosed();
    assertSubject(subject, SubjectUse.publish);
    const reply = options?.reply;
    if (reply !== undefined) assertSubject(reply, SubjectUse.publish);
    const limit = this.maxPayload;
    if (limit !== undefined && data.byteLength > limit) throw new PayloadTooLarge(subject, data.byteLength, limit);
    try {
      this.connection.publish(subject, data, reply === undefined ? undefined : { reply });
      this.#cork.afterPublish();
    } catch (error) {
      throw this.#translate(error, subject, 0);
    }
  }

  subscribe(subject: string, handler: MessageHandler, options?: SubscribeOptions): BusSubscription {
    if (this.#state !== State.open) throw new BusClosed();
    const queue = options?.queue;
    assertSubscription(subject, handler, queue);
    const sub = new NatsSubscription(subject, this.#subs, this.#drainInner);
    const runner = this.#runner;
    // A callback, not an async iterator: nats.js then calls it straight from its parser.
    // Corked: a session's SUB leaves in one write with the login reply after it (turn-cork.ts).
    this.#cork.cork();
    sub.inner = this.connection.subscribe(subject, {
      ...(queue !== undefined && { queue }),
      callback: (error, msg) => {
        // Closed: the PING that close() waits for may still let messages in; nothing handles them.
        if (this.#state === State.closed) return;
        if (error !== null) runner.report(error, sub);
        else if (msg.reply && !this.repliesTo(msg.reply)) runner.report(new ForbiddenReplySubject(msg.reply), sub);
        else runner.run(sub, handler, new NatsMessage(msg, this));
      },
    });
    this.#subs.add(sub);
    return sub;
  }

  inbox(): string {
    return createInbox(this.#inboxPrefix);
  }

  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.#connectionListeners.add(listener);
    if (!this.#watchingStatus) {
      this.#watchingStatus = true;
      void this.#watchStatus();
    }
    return () => void this.#connectionListeners.delete(listener);
  }

  async #watchStatus(): Promise<void> {
    // The iterator ends when the connection closes.
    for await (const status of this.connection.status()) {
      if (status.type !== "disconnect" && status.type !== "reconnect") continue;
      for (const listener of this.#connectionListeners) {
        try {
          listener(status.type === "reconnect");
        } catch (error) {
          // A listener's bug must not stop the others from hearing about the connection.
          process.emitWarning(`a connection listener failed: ${error instanceof Error ? error.message : String(error)}`, { type: "BusHandlerError" });
        }
      }
    }
  }

  flush(): Promise<void> {
    if (this.#state === State.closed) return Promise.reject(new BusClosed());
    return this.connection.flush().catch((error: unknown) => {
      throw this.#translate(error, "", 0);
    });
  }

  drain(): Promise<void> {
    if (this.#state === State.closed) return this.closed;
    this.#draining ??= this.#drain();
    return this.#draining;
  }

  close(): Promise<void> {
    if (this.#state !== State.closed) {
      this.#state = State.closed;
      this.#cork.release();
      void this.#closeConnection();
    }
    return this.closed;
  }

  /**
   * nats.js's close() destroys the socket at once, and with it whatever nats-server had not read
   * yet: bytes still in the socket's buffer, and bytes in the kernel too, since a socket closed
   * with unread input is reset. A stopping realm's last release notices were lost that way on
   * two loaded cores (four of eight, with the unsubscription behind them), and of 1,024 messages
   * of 16 KiB published while nats-server was stopped, 6 arrived. A PONG says the server has read everything sent
   * before its PING; a server that does not answer within CLOSE_FLUSH_MS is not waited for.
   */
  async #closeConnection(): Promise<void> {
    if (isConnected(this.connection)) await waitAtMost(this.connection.flush().catch(() => undefined), CLOSE_FLUSH_MS);
    await this.connection.close().catch(() => undefined);
  }

  async #drain(): Promise<void> {
    this.#state = State.draining;
    // nats.js's own drain would stop publishing before async handlers answer: first unsubscribe
    // (the server still delivers what it already sent), then wait for handlers, then drain the rest.
    await Promise.all(Array.from(this.#subs, (sub) => this.#drainInner(sub.inner!)));
    this.#subs.clear();
    // Drains asked for earlier (sessions ending) too: nats.js's own drain would start whatever
    // is left of them all at once (drain-queue.ts says why that is slow).
    await Promise.race([this.#drains.idle(), this.closed]);
    // close() during a drain gives up on slow handlers.
    await Promise.race([this.#runner.idle(), this.closed]);
    if (!this.connection.isClosed() && !this.connection.isDraining()) {
      await this.connection.drain().catch(() => undefined);
    }
    await this.closed;
  }

  /**
   * Drains one nats.js subscription: nats.js sends `UNSUB` and a `PING` and waits for the `PONG`
   * (so nothing more is routed to it), delivering what arrived before. Through the queue (at most
   * so many in flight), corked with the turn's other drains, and never past the connection's
   * close: nats.js never settles a drain a close cut short, and its slot would keep every later
   * drain waiting. Never rejects.
   */
  readonly #drainInner = (inner: Subscription): Promise<void> =>
    new Promise<void>((resolve) => {
      if (this.#state === State.closed) return resolve();
      // Not Promise.race with `closed`: each race left a reaction on that bus-long promise, two
      // closures and two promises held per session ever ended (an outside soak probe: a portal's
      // heap grew ~330 bytes a login, for good). The close settles those still waiting instead.
      const done = (): void => {
        this.#drainsWaiting.delete(done);
        resolve();
      };
      this.#drainsWaiting.add(done);
      void this.#drains.run(() => (this.#cork.cork(), inner.drain())).then(done);
    });

  /** Drains under way, each settled by its own end or by the connection's close. */
  readonly #drainsWaiting = new Set<() => void>();

  /** Maps nats.js failures onto the bus's closed set; anything else passes through. */
  #translate(error: unknown, subject: string, timeoutMs: number): unknown {
    if (error instanceof TimeoutError) return new RequestTimeout(subject, timeoutMs);
    // A no-responders status arrives wrapped: RequestError whose cause is NoRespondersError.
    if (error instanceof NoRespondersError || (error instanceof RequestError && error.isNoResponders())) {
      return new NoResponders(subject);
    }
    if (
      error instanceof ClosedConnectionError ||
      error instanceof DrainingConnectionError ||
      this.#state === State.closed ||
      this.connection.isClosed() ||
      // Requests pending when the connection closes fail with a bare RequestError("connection closed").
      (error instanceof RequestError && error.message === "connection closed")
    ) {
      return new BusClosed();
    }
    return error;
  }
}

// nats.js hands out Buffers; a plain view keeps both buses alike (Buffer's toString and
// slice differ from Uint8Array's).
function dataOf(msg: Msg): Uint8Array {
  const data = msg.data;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

class NatsSubscription implements BusSubscription {
  inner: Subscription | undefined;

  constructor(
    readonly subject: string,
    private readonly owner: Set<NatsSubscription>,
    private readonly drainInner: (inner: Subscription) => Promise<void>,
  ) {}

  unsubscribe(): void {
    if (!this.owner.delete(this)) return;
    this.inner?.unsubscribe();
  }

  async drain(): Promise<void> {
    if (!this.owner.delete(this)) return;
    // A connection already closed has nothing left to drain.
    if (this.inner !== undefined) await this.drainInner(this.inner);
  }
}

class NatsMessage implements BusMessage {
  #data: Uint8Array | undefined;

  constructor(private readonly msg: Msg, private readonly bus: Bus) {}

  get subject(): string {
    return this.msg.subject;
  }

  get data(): Uint8Array {
    return (this.#data ??= dataOf(this.msg));
  }

  get reply(): string | undefined {
    return this.msg.reply || undefined;
  }

  respond(data: Uint8Array): boolean {
    const reply = this.msg.reply;
    if (!reply) return false;
    this.bus.publish(reply, data);
    return true;
  }
}

/**
 * Whether nats.js has a live connection to a server now (its `protocol.connected`; not public API).
 * Unknown internals count as connected: `close` then waits for a PONG, at most CLOSE_FLUSH_MS.
 */
function isConnected(connection: NatsConnection): boolean {
  const connected = (connection as unknown as { protocol?: { connected?: unknown } }).protocol?.connected;
  return typeof connected === "boolean" ? connected : true;
}
