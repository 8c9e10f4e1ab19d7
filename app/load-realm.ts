/** Loads the Realm that `portcullis realm MODULE` serves. */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { SimpleRealm, type Realm } from "../actors/index.ts";
import { ownPackageHint, pathHint } from "./path-hint.ts";
import { UsageError } from "./usage-error.ts";

/** Imports a module by URL or package name (a parameter so that tests can stand in for Node's loader). */
export type ImportModule = (specifier: string) => Promise<unknown>;

/**
 * Loads the realm a module exports: its default export or `realm`, an object or a factory;
 * "echo" is the built-in echo realm. Rejects with `UsageError` when the module cannot be
 * imported or exports no realm.
 */
export async function loadRealm(module: string, importModule: ImportModule = (specifier) => import(specifier)): Promise<Realm> {
  if (module === "echo") return new SimpleRealm();
  let exports: Record<string, unknown>;
  try {
    const specifier = module.startsWith(".") || module.startsWith("/") ? pathToFileURL(resolve(module)).href : module;
    exports = (await importModule(specifier)) as Record<string, unknown>;
  } catch (error) {
    // Node 20 cannot import TypeScript (type stripping came with Node 22); tsx, in a checkout, can.
    if ((error as { code?: unknown }).code === "ERR_UNKNOWN_FILE_EXTENSION" && /\.[cm]?tsx?$/.test(module)) {
      throw new UsageError(`cannot load realm module ${module}: Node cannot import TypeScript; compile it to .js, or run from a checkout with \`npx tsx app/main.ts realm ${module}\``);
    }
    throw new UsageError(`cannot load realm module ${module}: ${(error as Error).message}${pathHint(module)}${ownPackageHint(error)}`);
  }
  let candidate = exports["default"] ?? exports["realm"];
  if (typeof candidate === "function") {
    const make = candidate as new () => unknown;
    candidate = typeof make.prototype?.requestAvatar === "function" ? new make() : (candidate as () => unknown)();
  }
  if (typeof (candidate as Partial<Realm> | undefined)?.requestAvatar !== "function") {
    throw new UsageError(`realm module ${module} exports no realm (a default or \`realm\` export with requestAvatar)`);
  }
  return candidate as Realm;
}
