/** Loads third-party checker factories from npm packages (`--plugin PACKAGE`). */
import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { findCheckerFactories, registerCheckerFactory, type CheckerFactory } from "../actors/index.ts";
import { pathHint } from "./path-hint.ts";
import { UsageError } from "./usage-error.ts";

function isFactory(value: unknown): value is CheckerFactory {
  const f = value as Partial<CheckerFactory> | null;
  return (
    typeof f === "object" && f !== null &&
    typeof f.authType === "string" && typeof f.generateChecker === "function" &&
    typeof f.argStringFormat === "string" && typeof f.authHelp === "string" && Array.isArray(f.credentialKinds)
  );
}

/**
 * The file a bare package name means in the working directory's node_modules (the user's project),
 * as a URL; undefined when it is not found there. A plain `import(name)` would look only beside
 * Portcullis's own install, where a plugin the user installed is not.
 */
function fromWorkingDirectory(name: string): string | undefined {
  // The package's own directory, nearest first, read as an `import` would (entryOf): `require`'s
  // resolution picked a package's CommonJS build, or its `default` over its `node` entry (an
  // outside probe: "exports no checker factory" by name, where its directory loaded).
  if (/^(@[^/]+\/)?[^/@.][^/]*$/.test(name)) {
    for (let dir = process.cwd(); ; dir = dirname(dir)) {
      const candidate = join(dir, "node_modules", name);
      if (existsSync(join(candidate, "package.json"))) return pathToFileURL(entryOf(candidate)).href;
      if (dirname(dir) === dir) break;
    }
  }
  try {
    // A subpath (`pkg/sub`): CommonJS resolution; a package exporting only an `import` condition
    // is not found here and falls back to the import beside Portcullis.
    return pathToFileURL(createRequire(join(process.cwd(), "noop.js")).resolve(name)).href;
  } catch {
    return undefined;
  }
}

/**
 * The file a path names: itself, or for a package's directory (`--plugin ./my-plugin`, which
 * Node's `import` refuses: "Directory import is not supported") the entry point its package.json
 * gives an `import` from Node: `exports` (its "." entry, the first of `node`, `import` and
 * `default` in the order the package lists them, the first of an array), else what `require`
 * makes of `main` (no extension, a folder) or `index.js`.
 */
function entryOf(path: string): string {
  if (!existsSync(path) || !statSync(path).isDirectory()) return path;
  const manifestPath = join(path, "package.json");
  const manifest = existsSync(manifestPath) ? (JSON.parse(readFileSync(manifestPath, "utf8")) as { exports?: unknown }) : {};
  const exported = manifest.exports === undefined ? undefined : exportTarget(manifest.exports);
  if (exported !== undefined) return join(path, exported);
  try {
    return createRequire(join(path, "noop.js")).resolve(resolve(path));
  } catch {
    return join(path, "index.js");
  }
}

const CONDITIONS = new Set(["node", "import", "default"]);

function exportTarget(target: unknown): string | undefined {
  if (typeof target === "string") return target;
  if (Array.isArray(target)) {
    for (const item of target) {
      const found = exportTarget(item);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof target !== "object" || target === null) return undefined;
  const entries = Object.entries(target as Record<string, unknown>);
  if (entries.some(([key]) => key.startsWith("."))) return exportTarget((target as Record<string, unknown>)["."]);
  for (const [condition, value] of entries) {
    if (!CONDITIONS.has(condition)) continue;
    const found = exportTarget(value);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Imports each package and registers the factories it exports (`checkerFactories`, an array, or
 * any exported value of the factory shape). A package exporting none is a usage error.
 */
export async function loadPlugins(packages: readonly string[]): Promise<string[]> {
  const loaded: string[] = [];
  for (const name of packages) {
    let module: Record<string, unknown>;
    try {
      // A path is taken relative to the working directory, a bare name from its node_modules.
      const specifier = name.startsWith(".") || name.startsWith("/") ? pathToFileURL(entryOf(resolve(name))).href : fromWorkingDirectory(name) ?? name;
      module = (await import(specifier)) as Record<string, unknown>;
    } catch (error) {
      throw new UsageError(`cannot load plugin ${name}: ${(error as Error).message}${pathHint(name)}`);
    }
    const candidates = Array.isArray(module["checkerFactories"]) ? (module["checkerFactories"] as unknown[]) : Object.values(module);
    const factories = candidates.filter(isFactory);
    if (factories.length === 0) throw new UsageError(`plugin ${name} exports no checker factory`);
    for (const factory of factories) {
      // A plugin taking over `memory` or `file` would change what an --auth already on the
      // command line means, with no word said (an outside probe's accepted any password).
      // The same factory again (a plugin named twice, on the command line and in PORTCULLIS_PLUGINS) is no conflict.
      if (findCheckerFactories().some((known) => known.authType === factory.authType && known !== factory)) {
        throw new UsageError(`plugin ${name}: auth type ${factory.authType} is already taken (built in, or by an earlier plugin); give it a name of its own`);
      }
      registerCheckerFactory(factory);
      loaded.push(factory.authType);
    }
  }
  return loaded;
}
