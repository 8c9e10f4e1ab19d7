/** A Mind whose notifications are messages on the client's mind subject. */
import type { Bus } from "../../transports/bus.ts";
import type { EndReason } from "../../machines/login-saga.ts";
import type { Mind } from "../realm.ts";
import { encode } from "../wire/codec.ts";

/**
 * Publishes `notify` messages, then one `ended`, to `subject` (null: Twisted's `mind=None`,
 * notifications are accepted and dropped). Once closed it drops everything, so nothing follows
 * `ended`.
 */
export class RemoteMind implements Mind {
  #open = true;

  constructor(private readonly bus: Bus, readonly subject: string | null, readonly session: string) {}

  notify(event: string, data?: unknown): void {
    if (!this.#open || this.subject === null) return;
    this.bus.publish(this.subject, encode({ session: this.session, type: "notify", event, data: data ?? null }));
  }

  /** Publishes the session's last message and closes the mind. */
  end(reason: EndReason): void {
    if (this.#open && this.subject !== null) {
      this.bus.publish(this.subject, encode({ session: this.session, type: "ended", reason }));
    }
    this.close();
  }

  close(): void {
    this.#open = false;
  }
}
