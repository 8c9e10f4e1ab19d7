/** Which checker names a portal heard from last, so that a portal keeping a limited number forgets the right one. */

/**
 * Checker names in the order they were last announced or answered a check, and which of them ever
 * answered one. A burst of made-up names comes faster than any check, so by recency alone it
 * pushed out the busiest checker (an outside probe: 1,000 names of a kind nobody uses made a
 * portal forget its live checker, and 753 logins failed); those that never answered one go first.
 */
export class CheckerRecency {
  /** Least recent first. */
  readonly #recent = new Map<string, true>();
  readonly #answering = new Set<string>();
  #last: string | undefined;

  /** `name` was announced, or answered a check. */
  touch(name: string): void {
    if (this.#recent.has(name)) {
      // Already last: nothing to move (a busy checker answers thousands of checks a second).
      if (this.#last === name) return;
      this.#recent.delete(name);
    }
    this.#recent.set(name, true);
    this.#last = name;
  }

  /** `name` answered a check: it is forgotten after every name that never did. */
  answered(name: string): void {
    this.touch(name);
    this.#answering.add(name);
  }

  forget(name: string): void {
    this.#recent.delete(name);
    this.#answering.delete(name);
  }

  /**
   * The name to forget to make room for `incoming`: the least recent one that is `known` and never
   * answered a check, else the least recent `known` one (names no longer known are let go on the way).
   */
  leastActive(incoming: string, known: (name: string) => boolean): string | undefined {
    // Least recent first: in a flood the first one looked at is usually idle.
    for (const name of this.#recent.keys()) {
      if (name !== incoming && !this.#answering.has(name) && known(name)) return name;
    }
    for (const name of this.#recent.keys()) {
      if (name === incoming) continue;
      if (known(name)) return name;
      this.forget(name);
    }
    return undefined;
  }
}
