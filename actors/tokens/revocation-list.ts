/** Revoked token ids, remembered until the tokens would have expired anyway. */

/** How often expired entries are swept out, at most. */
const PRUNE_EVERY_MS = 60_000;

/**
 * How long a revoked id is kept at least, by default: the longest lifetime a token with an `iat`
 * may have (24 hours, `TokenAuthority`'s `maxLifetimeMs`), its clock skew (60 s) and a second of
 * rounding. No such token revoked now can still be valid after that.
 */
export const DEFAULT_REVOCATION_KEEP_MS = 24 * 3_600_000 + 61_000;

/** Bounded by expiry: an entry is dropped once its token could no longer be used. */
export class RevocationList {
  readonly #revoked = new Map<string, number>();
  readonly #listeners = new Set<(jti: string) => void>();
  #prunedAt = Number.NEGATIVE_INFINITY;

  /** `keepMs`: how long after its revocation an id is kept at least, whatever `expiresAt` says. */
  constructor(
    private readonly now: () => number = Date.now,
    private readonly keepMs: number = DEFAULT_REVOCATION_KEEP_MS,
  ) {}

  /**
   * Revokes token `jti` until `expiresAt` (ms since epoch), and for `keepMs` at least: a revoker
   * that sent the revocation's own time, or anything short of the token's `exp`, would otherwise
   * have let the token log in again once that passed (an outside probe). Tells every listener.
   */
  revoke(jti: string, expiresAt: number): void {
    // Swept at most once a minute: a sweep on every revocation made a flood of 200k quadratic,
    // and stalled a portal until NATS cut it off as a slow consumer (outside fuzz probe).
    // An expired entry in between costs memory only: `isRevoked` compares the time.
    if (this.now() - this.#prunedAt >= PRUNE_EVERY_MS) this.#prune();
    const until = Math.max(expiresAt, this.now() + this.keepMs);
    if ((this.#revoked.get(jti) ?? Number.NEGATIVE_INFINITY) < until) this.#revoked.set(jti, until);
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
