/**
 * Keeps refusals of a password store with several hash algorithms or costs from telling them
 * apart: a wrong password for a user with a cheap hash (a `{SHA}` line, an argon2id one) and an
 * unknown name given a dear decoy (scrypt) would otherwise answer at very different times. Each
 * verification's duration is recorded per cost profile (`$scrypt$ln=17,r=8,p=1`, `$2b$12`); a
 * refusal is then held until the slowest profile of the store would have finished. Successful
 * logins are never held. The wait is a timer, not work: it costs no CPU, only the refusal's latency.
 */
export class RefusalPacer {
  /** profile → moving average of its verification time, ms. */
  readonly #costs = new Map<string, number>();

  /** `maxWaitMs` caps one refusal's wait (an overloaded machine inflates every cost). */
  constructor(private readonly maxWaitMs = 2_000) {}

  /** Records how long one verification of a hash of `profile` took. */
  record(profile: string, ms: number): void {
    const known = this.#costs.get(profile);
    this.#costs.set(profile, known === undefined ? ms : known * 0.8 + ms * 0.2);
  }

  /** The slowest recorded cost among `profiles` (all recorded ones when absent), ms. */
  slowest(profiles?: Iterable<string>): number {
    let slowest = 0;
    for (const profile of profiles ?? this.#costs.keys()) slowest = Math.max(slowest, this.#costs.get(profile) ?? 0);
    return slowest;
  }

  /** Resolves once `startedAt` (a `performance.now()`) plus the slowest cost has passed. */
  async pace(startedAt: number, profiles?: Iterable<string>): Promise<void> {
    const waitMs = Math.min(this.maxWaitMs, startedAt + this.slowest(profiles) - performance.now());
    if (waitMs >= 1) await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}
