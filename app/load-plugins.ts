/** Loads third-party checker factories from npm packages (`--plugin PACKAGE`). */
import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
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
  try {
    // CommonJS resolution: a package exporting only an `import` condition is not found here and
    // falls back to the import beside Portcullis.
    return pathToFileURL(createRequire(join(process.cwd(), "noop.js")).resolve(name)).href;
  } catch {
    return undefined;
  }
}

/**
 * The file a path names: itself, or for a package's directory (`--plugin ./my-plugin`, which
 * Node's `import` refuses: "Directory import is not supported") its package.json's entry point,
 * as the package's name would resolve: `exports` ("." or the whole, `import` or `default`),
 * else `main`, else `index.js`.
 */
function entryOf(path: string): string {
  if (!existsSync(path) || !statSync(path).isDirectory()) return path;
  let manifest: { exports?: unknown; main?: unknown } = {};
  const manifestPath = join(path, "package.json");
  if (existsSync(manifestPath)) manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as typeof manifest;
  const entry = exported(manifest.exports) ?? (typeof manifest.main === "string" ? manifest.main : "index.js");
  return join(path, entry);
}

function exported(exports: unknown): string | undefined {
  if (typeof exports === "string") return exports;
  if (typeof exports !== "object" || exports === null) return undefined;
  const conditions = exports as Record<string, unknown>;
  if ("." in conditions) return exported(conditions["."]);
  return exported(conditions["import"]) ?? exported(conditions["default"]);
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
