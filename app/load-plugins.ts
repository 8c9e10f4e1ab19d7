/** Loads third-party checker factories from npm packages (`--plugin PACKAGE`). */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { registerCheckerFactory, type CheckerFactory } from "../actors/index.ts";
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
 * Imports each package and registers the factories it exports (`checkerFactories`, an array, or
 * any exported value of the factory shape). A package exporting none is a usage error.
 */
export async function loadPlugins(packages: readonly string[]): Promise<string[]> {
  const loaded: string[] = [];
  for (const name of packages) {
    let module: Record<string, unknown>;
    try {
      // A path is taken relative to the working directory, a bare name from node_modules.
      const specifier = name.startsWith(".") || name.startsWith("/") ? pathToFileURL(resolve(name)).href : name;
      module = (await import(specifier)) as Record<string, unknown>;
    } catch (error) {
      throw new UsageError(`cannot load plugin ${name}: ${(error as Error).message}`);
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
