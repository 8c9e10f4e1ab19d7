/**
 * What a realm service does about the sessions it hosts once it has lost its NATS connection.
 *
 * While it is cut off, a portal may take it for gone (after its `confirmMs`), end those sessions
 * and send their Minds `ended`. Back online, the avatars must not speak after that `ended`, nor
 * answer calls for sessions that are over. So from the moment the connection is lost, every
 * session's notifications are held; back online, the sessions' portals are asked at once
 * (`reconcile`), and each session is either released (over) or confirmed (live, its held
 * notifications go out). Until then a call waits a moment for the answer.
 */
import type { Bus } from "../../transports/bus.ts";
import { waitAtMost } from "../../transports/wait-at-most.ts";

/** A session whose notifications can be held back. */
export interface Holdable {
  hold(): void;
  resume(): void;
}

/** How long to wait between asking rounds while some session is still in doubt. */
const RETRY_MS = [250, 1_000, 2_000, 5_000] as const;

interface Entry {
  readonly session: Holdable;
  /** Set while the session is in doubt; resolves when it is confirmed or removed. */
  doubt: { promise: Promise<void>; resolve: () => void } | undefined;
}

export class ConnectionDoubt {
  readonly #entries = new Map<string, Entry>();
  readonly #stopListening: (() => void) | undefined;
  #generation = 0;
  #closed = false;

  /** `reconcile` asks the portals about every tracked session (confirming or releasing each). */
  constructor(bus: Bus, private readonly reconcile: () => Promise<void>) {
    this.#stopListening = bus.onConnectionChange?.((connected) => this.#changed(connected));
  }

  /** Watches `id`; only sessions whose portal can be asked belong here. */
  add(id: string, session: Holdable): void {
    this.#entries.set(id, { session, doubt: undefined });
  }

  /** Forgets `id` (released): calls waiting on it go on at once. */
  delete(id: string): void {
    const entry = this.#entries.get(id);
    this.#entries.delete(id);
    entry?.doubt?.resolve();
  }

  /** The portal says `id` is live: its held notifications go out. */
  confirm(id: string): void {
    const entry = this.#entries.get(id);
    if (entry?.doubt === undefined) return;
    entry.session.resume();
    entry.doubt.resolve();
    entry.doubt = undefined;
  }

  /** Whether `id` waits for its portal's answer now. */
  inDoubt(id: string): boolean {
    return this.#entries.get(id)?.doubt !== undefined;
  }

  /** True when `id` is not in doubt (now, or within `waitMs`). */
  async settled(id: string, waitMs: number): Promise<boolean> {
    const doubt = this.#entries.get(id)?.doubt;
    if (doubt === undefined) return true;
    await waitAtMost(doubt.promise, waitMs);
    return this.#entries.get(id)?.doubt === undefined;
  }

  close(): void {
    this.#closed = true;
    this.#stopListening?.();
    for (const id of [...this.#entries.keys()]) this.confirm(id);
  }

  #changed(connected: boolean): void {
    const generation = ++this.#generation;
    if (!connected) {
      for (const entry of this.#entries.values()) {
        entry.session.hold();
        if (entry.doubt === undefined) {
          let resolve!: () => void;
          const promise = new Promise<void>((r) => (resolve = r));
          entry.doubt = { promise, resolve };
        }
      }
      return;
    }
    void this.#settle(generation);
  }

  /** Asks until no session is in doubt; a newer loss of the connection starts over. */
  async #settle(generation: number): Promise<void> {
    for (let attempt = 0; !this.#closed && generation === this.#generation; attempt++) {
      await this.reconcile();
      if (![...this.#entries.values()].some((entry) => entry.doubt !== undefined)) return;
      // A portal that does not answer: asked again; one that is gone is the InstanceWatch's.
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]).unref());
    }
  }
}
