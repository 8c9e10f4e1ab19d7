/** The credential kinds each process serving a checker name announced, for rolling upgrades. */

/**
 * The kinds each process of a checker last announced (by instance id, "" without one). A known
 * checker keeps its kinds while its processes overlap; once every process left serving it has
 * announced the same other kinds (a rolling upgrade's old version withdrew), the checker takes
 * them. An outside probe saw a kind a new version added stay unhandled on every portal that had
 * known the old one, while portals started later handled it: the queue group split 4/6.
 */
export class CheckerInstanceKinds {
  readonly #byName = new Map<string, Map<string, readonly string[]>>();

  note(name: string, instance: string | undefined, kinds: readonly string[]): void {
    let byInstance = this.#byName.get(name);
    if (byInstance === undefined) this.#byName.set(name, (byInstance = new Map()));
    byInstance.set(instance ?? "", kinds);
  }

  forget(name: string): void {
    this.#byName.delete(name);
  }

  /**
   * The kinds every one of `remaining` (the instances still serving `name`) announced, when they
   * agree and differ from `current`; undefined otherwise. Instances no longer remaining are forgotten.
   */
  changed(name: string, remaining: ReadonlySet<string>, current: readonly string[]): readonly string[] | undefined {
    const byInstance = this.#byName.get(name);
    if (byInstance === undefined) return undefined;
    for (const id of byInstance.keys()) if (!remaining.has(id)) byInstance.delete(id);
    const kinds = [...remaining].map((id) => byInstance.get(id));
    const first = kinds[0];
    if (first === undefined || kinds.some((each) => each === undefined || !sameKinds(each, first))) return undefined;
    return sameKinds(first, current) ? undefined : first;
  }
}

/** The same kinds, in any order. */
export function sameKinds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((kind) => b.includes(kind));
}
