/**
 * What an unknown user's password is verified against, so that refusing a name that does not
 * exist costs what refusing a wrong password costs, even in a store whose hashes are not all of
 * the configured algorithm (an htpasswd file of bcrypt lines, scrypt lines from a migration).
 *
 * The store's hashes are grouped by algorithm and cost (`$scrypt$ln=17,r=8,p=1`, `$2b$12`). Each
 * unknown name is given one of those groups, with the groups' own frequencies, by a keyed hash of
 * the name: the same name always costs the same (on every portal reading the same store, since the
 * key comes from the store), and over many names the costs are spread as the real users' are. A
 * real hash of the group is verified and its result ignored.
 */
import { hash } from "node:crypto";
import { verifierFor } from "../hashing/identify.ts";

interface Group {
  readonly profile: string;
  readonly stored: string;
  count: number;
}

export class Decoys {
  readonly #groups: readonly Group[];
  readonly #total: number;
  readonly #key: string;

  private constructor(groups: readonly Group[]) {
    this.#groups = groups;
    this.#total = groups.reduce((sum, group) => sum + group.count, 0);
    // Secret to whoever has not read the store (the hashes carry their salts).
    this.#key = groups.length === 0 ? "" : hash("sha256", groups.map((group) => group.stored).join("\n"));
  }

  /** The decoys of a store, by user (hashes no algorithm recognises are left out). */
  static of(users: ReadonlyMap<string, string>): Decoys {
    const groups = new Map<string, Group>();
    for (const stored of users.values()) {
      if (verifierFor(stored) === undefined) continue;
      const profile = costProfile(stored);
      const group = groups.get(profile);
      if (group) group.count++;
      else groups.set(profile, { profile, stored, count: 1 });
    }
    // In profile order, so every process reading the same store picks alike.
    return new Decoys([...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, group]) => group));
  }

  /** One stored hash of each cost profile in the store. */
  representatives(): Array<{ readonly profile: string; readonly stored: string }> {
    return this.#groups.map(({ profile, stored }) => ({ profile, stored }));
  }

  /** The store's cost profiles. */
  profiles(): string[] {
    return this.#groups.map((group) => group.profile);
  }

  /** The stored hash to verify `username`'s password against; undefined for an empty store. */
  pick(username: string): string | undefined {
    if (this.#total === 0) return undefined;
    const digest = hash("sha256", `${this.#key}\0${username}`, "buffer");
    let at = digest.readUIntBE(0, 6) % this.#total;
    for (const group of this.#groups) {
      if (at < group.count) return group.stored;
      at -= group.count;
    }
    return this.#groups[this.#groups.length - 1]!.stored;
  }
}

/** A hash without its salt and digest: algorithm and cost parameters (`$scrypt$ln=17,r=8,p=1`, `$2b$12`). */
export function costProfile(stored: string): string {
  if (/^\$2[abxy]\$/.test(stored)) return stored.slice(0, 6);
  if (!stored.startsWith("$")) return stored.replace(/^(\{[A-Z0-9-]+\}).*$/, "$1");
  return stored.split("$").slice(0, -2).join("$");
}
