/**
 * Subscription drains gathered into one socket write.
 *
 * nats.js's `Subscription.drain()` sends `UNSUB` and a `PING`, writing to the socket at once, so
 * that the `PONG` proves nothing more is on its way. A portal drains one subscription per
 * session end, and sessions expire on timers of their own: measured, about one write syscall
 * per login under load, most of the portal's writes. The first drain of a turn of the event loop
 * goes at once, so a lone drain (a logout) still reaches the server before the reply that
 * follows it; the others asked for in that turn run together at its end (`setImmediate`) with
 * the socket corked, so they leave in one write. Each drain keeps its guarantee: the handler
 * still sees every message routed before the server processed its `UNSUB`.
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";

/** What `cork`/`uncork` need; a net.Socket provides it. */
interface Corkable {
  cork(): void;
  uncork(): void;
}

export class DrainBatch {
  #pending: Array<() => void> = [];
  /** A drain went out this turn: later ones wait for the batch. */
  #windowOpen = false;

  constructor(private readonly connection: NatsConnection) {}

  /** Drains `subscription` with the others asked for this turn; resolves once it is drained. */
  drain(subscription: Subscription): Promise<void> {
    if (!this.#windowOpen) {
      this.#windowOpen = true;
      setImmediate(() => this.#run());
      return subscription.drain().catch(() => undefined);
    }
    return new Promise((resolve) => {
      this.#pending.push(() => void subscription.drain().then(resolve, () => resolve()));
    });
  }

  #run(): void {
    this.#windowOpen = false;
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    const socket = batch.length > 1 ? socketOf(this.connection) : undefined;
    socket?.cork();
    try {
      for (const start of batch) start();
    } finally {
      socket?.uncork();
    }
  }
}

/**
 * The connection's current socket, when nats.js's internals are as in v3 (`protocol.transport.socket`).
 * Not public API: anything else gets the drains one write each, as before, never an error.
 */
function socketOf(connection: NatsConnection): Corkable | undefined {
  const socket = (connection as unknown as { protocol?: { transport?: { socket?: unknown } } }).protocol?.transport?.socket;
  if (typeof socket !== "object" || socket === null) return undefined;
  const { cork, uncork } = socket as Partial<Corkable>;
  return typeof cork === "function" && typeof uncork === "function" ? (socket as Corkable) : undefined;
}
