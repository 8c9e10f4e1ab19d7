/** The hint for a module named like a package that is really a file here (`myrealm.mjs` for `./myrealm.mjs`). */
import { existsSync } from "node:fs";
import { resolve } from "node:path";

/** A sentence to add to the error, or "" when `name` is a path already or no such file is here. */
export function pathHint(name: string): string {
  if (name.startsWith(".") || name.startsWith("/") || !existsSync(resolve(name))) return "";
  return ` (a file ${name} is in this directory: write ./${name} to load it; a name without ./ is a package)`;
}
