/** Loads third-party checker factories from npm packages (`--plugin PACKAGE`). */
import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { exports as resolveExports } from "resolve.exports";
import { findCheckerFactories, registerCheckerFactory, type CheckerFactory } from "../actors/index.ts";
import { ownPackageHint, pathHint } from "./path-hint.ts";
import { UsageError } from "./usage-error.ts";

function isFactory(value: unknown): value is CheckerFactory {
  const f = value as Partial<CheckerFactory> | null;
  return (
    typeof f === "object" && f !== null &&
    typeof f.authType === "string" && typeof f.generateChecker === "function" &&
    typeof f.argStringFormat === "string" && typeof f.authHelp === "string" && Array.isArray(f.credentialKinds)
  );
}

/** What an auth type may be called: one word `--auth TYPE:ARGS` can name. */
const AUTH_TYPE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

const FACTORY_FIELDS = { authType: "string", authHelp: "string", argStringFormat: "string", credentialKinds: "array", generateChecker: "function" } as const;

/**
 * For an export that looks like a factory with fields missing or of the wrong type, which they
 * are (an outside newcomer's half-written factory was reported as "no checker factory" alone).
 */
function nearMiss(candidates: readonly unknown[]): string {
  for (const candidate of candidates) {
    if (typeof candidate !== "object" || candidate === null) continue;
    const value = candidate as Record<string, unknown>;
    if (!("authType" in value) && !("generateChecker" in value)) continue;
    const wrong = Object.entries(FACTORY_FIELDS)
      .filter(([field, type]) => (type === "array" ? !Array.isArray(value[field]) : typeof value[field] !== type))
      .map(([field, type]) => `${field} (${type})`);
    if (wrong.length > 0) return `: an export looks like one but lacks ${wrong.join(", ")}`;
  }
  return "";
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
 * gives an `import` from Node: `exports` read by resolve.exports (the `node`, `import` and
 * `default` conditions, in the package's order), else what `require` makes of `main` (no
 * extension, a folder) or `index.js`.
 */
function entryOf(path: string): string {
  if (!existsSync(path) || !statSync(path).isDirectory()) return path;
  const manifestPath = join(path, "package.json");
  const manifest = existsSync(manifestPath) ? (JSON.parse(readFileSync(manifestPath, "utf8")) as { exports?: unknown }) : {};
  if (manifest.exports !== undefined) {
    try {
      const [exported] = resolveExports(manifest, ".") ?? [];
      if (exported !== undefined) return join(path, exported);
    } catch {
      // No "." an import may take: Node would refuse the package; `import` says why, below.
    }
  }
  try {
    return createRequire(join(path, "noop.js")).resolve(resolve(path));
  } catch {
    return join(path, "index.js");
  }
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
      throw new UsageError(`cannot load plugin ${name}: ${(error as Error).message}${pathHint(name)}${ownPackageHint(error)}`);
    }
    const candidates = Array.isArray(module["checkerFactories"]) ? (module["checkerFactories"] as unknown[]) : Object.values(module);
    const factories = candidates.filter(isFactory);
    if (factories.length === 0) throw new UsageError(`plugin ${name} exports no checker factory${nearMiss(candidates)}`);
    for (const factory of factories) {
      // It is written as `--auth TYPE:…` and parsed at the first colon: "bad type!" was taken, and listed.
      if (!AUTH_TYPE.test(factory.authType)) {
        throw new UsageError(`plugin ${name}: auth type ${JSON.stringify(factory.authType)} is not a name --auth can take (letters, digits, '-' and '_', starting with a letter)`);
      }
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
