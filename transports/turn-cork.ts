/**
 * One socket write per turn of the event loop.
 *
 * nats.js flushes its outbound buffer on a microtask after the first command queued, so a turn
 * that answers a request in several promise hops writes several times: a login wrote its
 * session's `SUB` and then its reply in two syscalls, and under load a socket read carrying a
 * hundred requests made dozens of writes (profiled: the socket writes were 12–18% of a portal's
 * samples). The bus corks the socket at the first thing that will write in a turn (a message
 * handed to a handler, a publish, a subscribe or unsubscribe) and uncorks it when the turn ends
 * (`setImmediate`): whatever the turn wrote leaves together, in order, in one `writev`. Nothing
 * waits longer than the rest of the turn it was written in.
 */
import type { NatsConnection } from "@nats-io/transport-node";

/** What `cork`/`uncork` need; a net.Socket provides it. */
export interface Corkable {
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
export function socketOf(connection: NatsConnection): Corkable | undefined {
  const socket = (connection as unknown as { protocol?: { transport?: { socket?: unknown } } }).protocol?.transport?.socket;
  if (typeof socket !== "object" || socket === null) return undefined;
  const { cork, uncork } = socket as Partial<Corkable>;
  return typeof cork === "function" && typeof uncork === "function" ? (socket as Corkable) : undefined;
}
