/** Parsing `name:password:...` argstrings (the `memory` and `scram` auth types). */
import { InvalidAuthArgumentString } from "./errors.ts";

/**
 * The users of a `U:P:...` argstring, in order; an empty argstring is no users, as in Twisted.
 * Refuses an empty name (it would log in as ""), an empty password (it would let a user in with
 * nothing) and a name given twice (Twisted keeps the last silently; one of the two is a mistake).
 */
export function userPairs(argstring: string): Array<readonly [name: string, password: string]> {
  if (!argstring) return [];
  const pieces = argstring.split(":");
  if (pieces.length % 2) throw new InvalidAuthArgumentString("argstring must be in format U:P:...");
  if (pieces.some((piece) => piece === "")) throw new InvalidAuthArgumentString("argstring must be in format U:P:... with no empty U or P");
  const pairs: Array<readonly [string, string]> = [];
  const seen = new Set<string>();
  for (let i = 0; i < pieces.length; i += 2) {
    const name = pieces[i]!;
    if (seen.has(name)) throw new InvalidAuthArgumentString(`argstring names user ${name} twice`);
    seen.add(name);
    pairs.push([name, pieces[i + 1]!]);
  }
  return pairs;
}
