/**
 * What the `seq` of a session's `notify` messages tells a Mind: core NATS loses what is published
 * while a client is cut off (a reconnect, a nats-server restart), and nothing else says so.
 */

/** The notice a Mind gets in place of `count` notifications that were published and never arrived. */
export function lostNotice(count: number): { readonly event: "dropped"; readonly data: { readonly count: number; readonly cause: "lost" } } {
  return { event: "dropped", data: { count, cause: "lost" } };
}

/** Follows one session's `seq` numbers. */
export class NotifySequence {
  #last = 0;

  /**
   * How many notifications before the one numbered `seq` never arrived. A message without a
   * usable `seq` (a realm written from PROTOCOL.md alone sends none) tells nothing: 0.
   */
  missedBefore(seq: unknown): number {
    if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1) return 0;
    const missed = Math.max(0, seq - this.#last - 1);
    this.#last = Math.max(this.#last, seq);
    return missed;
  }
}
