/**
 * Fewer socket writes: a new subscription leaves with the reply that follows it, and a turn's
 * subscription drains leave together.
 *
 * Every write to a loopback socket is a syscall in which the kernel also delivers the bytes to
 * nats-server; profiled on a sequential login, those syscalls were a third of the portal's busy
 * time. nats.js flushes its outbound buffer on a microtask, so a login's `SUB` (its session's
 * subscription) and its reply left in two writes, and under load each session's end (`UNSUB`,
 * `PING`) left in one of its own (strace: 30,668 writes for 30,000 logins).
 *
 * So the bus corks the socket when it subscribes or drains, and uncorks it right after the next
 * message it publishes has reached the socket (a reply, a request), or at the end of the turn
 * (`setImmediate`), whichever comes first. Order is nats.js's own: the `SUB` still precedes the
 * reply that names its session. A publish is never held past its own microtask: corking every
 * turn that answers a request (the reply held to the turn's end) measured 4% fewer logins/s at
 * 128 in flight.
 */
import type { NatsConnection } from "@nats-io/transport-node";

/** What `cork`/`uncork` need; a net.Socket provides it. */
interface Corkable {
  cork(): void;
  uncork(): void;
}

export class TurnCork {
  #corked: Corkable | undefined;
  #endOfTurnQueued = false;
  #releaseQueued = false;
  readonly #uncork = (): void => {
    this.#releaseQueued = false;
    const socket = this.#corked;
    this.#corked = undefined;
    socket?.uncork();
  };
  readonly #endOfTurn = (): void => {
    this.#endOfTurnQueued = false;
    this.#uncork();
  };

  constructor(private readonly connection: NatsConnection) {}

  /** Corks the connection's socket until the next `afterPublish()` or the end of this turn. */
  cork(): void {
    if (this.#corked !== undefined) return;
    const socket = socketOf(this.connection);
    if (socket === undefined) return;
    socket.cork();
    this.#corked = socket;
    if (!this.#endOfTurnQueued) {
      this.#endOfTurnQueued = true;
      setImmediate(this.#endOfTurn);
    }
  }

  /**
   * Called right after a message was handed to nats.js: uncorks once nats.js has written it. Its
   * flush is a microtask queued no later than this one (when its buffer went from empty to not).
   */
  afterPublish(): void {
    if (this.#corked === undefined || this.#releaseQueued) return;
    this.#releaseQueued = true;
    queueMicrotask(this.#uncork);
  }

  /**
   * Uncorks now. Before closing: nats.js's `close()` destroys the socket without flushing it, and
   * what this turn wrote (a reply just sent) would be lost with the socket's corked buffer.
   */
  release(): void {
    this.#uncork();
  }
}

/**
 * The connection's current socket, when nats.js's internals are as in v3 (`protocol.transport.socket`).
 * Not public API: anything else gets nats.js's own writes, as before, never an error.
 */
function socketOf(connection: NatsConnection): Corkable | undefined {
  const socket = (connection as unknown as { protocol?: { transport?: { socket?: unknown } } }).protocol?.transport?.socket;
  if (typeof socket !== "object" || socket === null) return undefined;
  const { cork, uncork } = socket as Partial<Corkable>;
  return typeof cork === "function" && typeof uncork === "function" ? (socket as Corkable) : undefined;
}
