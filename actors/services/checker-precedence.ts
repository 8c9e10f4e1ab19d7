/** Where the checkers a portal learnt from the bus stand among each other for the kinds they share. */
import type { Checker } from "../checkers/checker.ts";
import type { Portal } from "../portal.ts";
import { RemoteChecker } from "./remote-checker.ts";

/**
 * Each checker's rank: for an answer to `discover`, when it says it started announcing (`since`;
 * absent: the oldest); for a live announcement, this portal's clock when it came, and above every
 * rank so far. So a live announcement always goes on top, whatever its `since` (absent, as
 * PROTOCOL.md's own example, or from a host whose clock runs ahead: an outside probe saw both kept
 * below older checkers). The portal's own checkers rank as announced when the directory started.
 */
export class CheckerPrecedence {
  readonly #since = new Map<Checker, number>();
  /** Checkers withdrawn without an instance that still serve: below every other of their kinds. */
  readonly #demoted = new Set<Checker>();

  constructor(private readonly portal: Portal) {}

  /** A rank above every rank so far: a live announcement's. */
  newest(): number {
    let top = Date.now();
    for (const at of this.#since.values()) if (at >= top) top = at + 1;
    return top;
  }

  rankOf(checker: Checker): number | undefined {
    return this.#since.get(checker);
  }

  /** Ranks one of the portal's own checkers, which it registered itself. */
  rankLocal(checker: Checker, at: number): void {
    this.#since.set(checker, at);
  }

  /**
   * Registers `checker` in the portal at rank `since`, then moves the checkers of its kinds ranked
   * above it back on top, oldest first (re-registering puts a checker on top): so the most
   * recently announced checker of a kind is the portal's choice, whatever order the news came in.
   */
  register(checker: Checker, since: number): void {
    this.#since.set(checker, since);
    this.portal.registerChecker(checker);
    const newer = [...this.#since.keys()]
      .filter((other) => this.#above(other, checker) && this.portal.hasChecker(other) && other.credentialKinds.some((kind) => checker.credentialKinds.includes(kind)))
      .sort((a, b) => (this.#above(a, b) ? 1 : -1));
    for (const other of newer) this.portal.registerChecker(other);
  }

  /**
   * Puts `checker` below every other checker of its kinds, where it stays (a fallback) until
   * `promote`: PROTOCOL.md's "withdrawing it restores the previous one", for a withdrawal that
   * says nothing of which process stops while the checker's subject is still served.
   */
  demote(checker: Checker): void {
    if (this.#demoted.has(checker)) return;
    this.#demoted.add(checker);
    this.register(checker, this.#since.get(checker) ?? Number.NEGATIVE_INFINITY);
  }

  isDemoted(checker: Checker): boolean {
    return this.#demoted.has(checker);
  }

  /** Back on top, as any live announcement: the withdrawn checker announced again. */
  promote(checker: Checker): void {
    this.#demoted.delete(checker);
    this.register(checker, this.newest());
  }

  forget(checker: Checker): void {
    this.#since.delete(checker);
    this.#demoted.delete(checker);
  }

  /** Whether `a` goes above `b`: a demoted checker below one that is not, then by rank. */
  #above(a: Checker, b: Checker): boolean {
    const aDown = this.#demoted.has(a);
    if (aDown !== this.#demoted.has(b)) return !aDown;
    return above(a, this.#since.get(a) ?? Number.NEGATIVE_INFINITY, b, this.#since.get(b) ?? Number.NEGATIVE_INFINITY);
  }
}

/**
 * Whether checker `a` (ranked `atA`) goes above `b` (ranked `atB`): the later `since`, and between
 * equal ones (answers to `discover` without `since`) the greater name, so that portals started at
 * different times, hearing the answers in different orders, route a kind to the same checker
 * (an outside probe saw two portals split logins 14/6 between two such checkers).
 */
function above(a: Checker, atA: number, b: Checker, atB: number): boolean {
  if (atA !== atB) return atA > atB;
  // The portal's own checkers (not RemoteChecker) win a tie: they started with it.
  if (!(a instanceof RemoteChecker) || !(b instanceof RemoteChecker)) return !(a instanceof RemoteChecker) && b instanceof RemoteChecker;
  return a.name > b.name;
}
