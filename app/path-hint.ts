/** Hints for a plugin or realm module that would not load. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** A sentence to add to the error, or "" when `name` is a path already or no such file is here. */
export function pathHint(name: string): string {
  if (name.startsWith(".") || name.startsWith("/") || !existsSync(resolve(name))) return "";
  return ` (a file ${name} is in this directory: write ./${name} to load it; a name without ./ is a package)`;
}

/**
 * A sentence to add when the module could not import "portcullis" itself: a plugin or realm
 * module in a directory of its own, with no node_modules/portcullis there or above (an outside
 * probe's `--plugin /path/to/plugin`). Node resolves a module's imports from where the module is.
 */
export function ownPackageHint(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code !== "ERR_MODULE_NOT_FOUND" || typeof message !== "string" || !/Cannot find package 'portcullis'/.test(message)) return "";
  return ` (it imports "portcullis", which Node looks for beside the module: run \`npm install ${packageRoot()}\` in its directory (this portcullis; it is not on the npm registry), or install the module as a package of the project you run portcullis from)`;
}

/** The directory of the running portcullis package (its source checkout or its installed copy). */
function packageRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      if ((JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: unknown }).name === "portcullis") return dir;
    } catch {
      // No package.json here, or not JSON: look further up.
    }
  }
  return "/path/to/portcullis";
}
