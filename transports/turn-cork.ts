/**
 * One socket write for a turn's subscription drains.
 *
 * nats.js drains a subscription with `UNSUB` and a `PING`, flushing its outbound buffer on a
 * microtask, so a portal whose sessions end on timers of their own made about one write syscall
 * per session end under load (strace: 30,668 writes for 30,000 logins). The bus corks the socket
 * at a turn's first drain and uncorks it when the turn ends (`setImmediate`): the turn's drains
 * leave together, in order, in one `writev`. Only drains: corking every turn that answers a
 * request as well (a login's `SUB` and reply in one write) measured 4% fewer logins/s at 128 in
 * flight (replies held to the end of a busy turn), and no better p50 sequentially.
 */
import type { NatsConnection } from "@nats-io/transport-node";

/** What `cork`/`uncork` need; a net.Socket provides it. */
interface Corkable {
  cork(): void;
  uncork(): void;
}

export class TurnCork {
  #corked: Corkable | undefined;
  readonly #uncork = (): void => {
    const socket = this.#corked;
    this.#corked = undefined;
    socket?.uncork();
  };

  constructor(private readonly connection: NatsConnection) {}

  /** Corks the connection's socket until the end of this turn (once per turn). */
  cork(): void {
    if (this.#corked !== undefined) return;
    const socket = socketOf(this.connection);
    if (socket === undefined) return;
    socket.cork();
    this.#corked = socket;
    setImmediate(this.#uncork);
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
