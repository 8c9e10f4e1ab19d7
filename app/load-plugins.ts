/** Loads third-party checker factories from npm packages (`--plugin PACKAGE`). */
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { registerCheckerFactory, type CheckerFactory } from "../actors/index.ts";
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
 * Imports each package and registers the factories it exports (`checkerFactories`, an array, or
 * any exported value of the factory shape). A package exporting none is a usage error.
 */
export async function loadPlugins(packages: readonly string[]): Promise<string[]> {
  const loaded: string[] = [];
  for (const name of packages) {
    let module: Record<string, unknown>;
    try {
      // A path is taken relative to the working directory, a bare name from its node_modules.
      const specifier = name.startsWith(".") || name.startsWith("/") ? pathToFileURL(resolve(name)).href : fromWorkingDirectory(name) ?? name;
      module = (await import(specifier)) as Record<string, unknown>;
    } catch (error) {
      throw new UsageError(`cannot load plugin ${name}: ${(error as Error).message}${pathHint(name)}`);
    }
    const candidates = Array.isArray(module["checkerFactories"]) ? (module["checkerFactories"] as unknown[]) : Object.values(module);
    const factories = candidates.filter(isFactory);
    if (factories.length === 0) throw new UsageError(`plugin ${name} exports no checker factory`);
    for (const factory of factories) {
      registerCheckerFactory(factory);
      loaded.push(factory.authType);
    }
  }
  return loaded;
}
