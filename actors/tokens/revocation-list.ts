/** Revoked token ids, remembered until the tokens would have expired anyway. */

/** How often expired entries are swept out, at most. */
const PRUNE_EVERY_MS = 60_000;

/** Bounded by expiry: an entry is dropped once its token could no longer be used. */
export class RevocationList {
  readonly #revoked = new Map<string, number>();
  readonly #listeners = new Set<(jti: string) => void>();
  #prunedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly now: () => number = Date.now) {}

  /** Revokes token `jti` until `expiresAt` (ms since epoch); tells every listener. */
  revoke(jti: string, expiresAt: number): void {
    // Swept at most once a minute: a sweep on every revocation made a flood of 200k quadratic,
    // and stalled a portal until NATS cut it off as a slow consumer (outside fuzz probe).
    // An expired entry in between costs memory only: `isRevoked` compares the time.
    if (this.now() - this.#prunedAt >= PRUNE_EVERY_MS) this.#prune();
    if (!this.#revoked.has(jti)) this.#revoked.set(jti, expiresAt);
    for (const listener of this.#listeners) listener(jti);
  }

  isRevoked(jti: string): boolean {
    const until = this.#revoked.get(jti);
    return until !== undefined && until > this.now();
  }

  /** Called with every revoked `jti`; returns the unsubscribe function. */
  onRevoke(listener: (jti: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get size(): number {
    return this.#revoked.size;
  }

  #prune(): void {
    const now = this.now();
    this.#prunedAt = now;
    for (const [jti, until] of this.#revoked) if (until <= now) this.#revoked.delete(jti);
  }
}
