/** Finding checker factories by auth type and making checkers from `TYPE:ARGSTRING` (Twisted's strcred). */
import type { Checker } from "../checkers/checker.ts";
import { anonymousCheckerFactory } from "./anonymous.ts";
import { InvalidAuthType, UnsupportedKinds } from "./errors.ts";
import type { CheckerFactory, CheckerFactoryContext } from "./factory.ts";
import { inMemoryCheckerFactory } from "./memory.ts";
import { scramCheckerFactory } from "./scram.ts";
import { scramFileCheckerFactory } from "./scram-file.ts";
import { sshKeyCheckerFactory } from "./sshkey.ts";
import { fileCheckerFactory } from "./file.ts";
import { hashedCheckerFactory } from "./hashed.ts";
import { htpasswdCheckerFactory } from "./htpasswd.ts";
import { tokenCheckerFactory } from "./token.ts";

const factories = new Map<string, CheckerFactory>(
  [inMemoryCheckerFactory, anonymousCheckerFactory, fileCheckerFactory, hashedCheckerFactory, htpasswdCheckerFactory, scramCheckerFactory, scramFileCheckerFactory, sshKeyCheckerFactory, tokenCheckerFactory].map((f) => [f.authType, f]),
);

/** Makes a factory available to `makeChecker` and `--auth`; a later one replaces an earlier of the same type. */
export function registerCheckerFactory(factory: CheckerFactory): void {
  factories.set(factory.authType, factory);
}

/** Every available factory. */
export function findCheckerFactories(): CheckerFactory[] {
  return [...factories.values()];
}

/** Throws `InvalidAuthType` when no factory has `authType`. */
export function findCheckerFactory(authType: string): CheckerFactory {
  const factory = factories.get(authType);
  if (!factory) throw new InvalidAuthType(authType);
  return factory;
}

/** Splits `TYPE:ARGSTRING` at the first colon. */
export function parseAuthDescription(description: string): { authType: string; argstring: string } {
  const at = description.indexOf(":");
  return at < 0
    ? { authType: description, argstring: "" }
    : { authType: description.slice(0, at), argstring: description.slice(at + 1) };
}

/**
 * Makes a checker from a description such as `memory:alice:pw`; `context.logger` is handed to the
 * factory for the checker to log to (without it, the checker logs nothing). Rejects with
 * `InvalidAuthType` or `InvalidAuthArgumentString`, and with `UnsupportedKinds` when the checker
 * made checks no credentials kind at all (Twisted raises it when the checker is added: here
 * nothing could use such a checker, so it is refused where it is made).
 */
export async function makeChecker(description: string, context: CheckerFactoryContext = {}): Promise<Checker> {
  const { authType, argstring } = parseAuthDescription(description);
  const checker = await findCheckerFactory(authType).generateChecker(argstring, context);
  supportedKinds(checker);
  return checker;
}

/**
 * The kinds of `checker` an application supporting `supported` (default: every kind) can use
 * (Twisted's `AuthOptionMixin.addChecker`). Throws `UnsupportedKinds` when there are none.
 */
export function supportedKinds(checker: Checker, supported?: Iterable<string>): string[] {
  // A plugin's checker is not type-checked: a missing or malformed list is no kinds.
  const declared = (checker as Partial<Checker> | undefined)?.credentialKinds;
  const kinds = Array.isArray(declared) ? declared.filter((kind): kind is string => typeof kind === "string") : [];
  const wanted = supported === undefined ? undefined : new Set(supported);
  const usable = kinds.filter((kind) => wanted === undefined || wanted.has(kind));
  if (usable.length === 0) throw new UnsupportedKinds(kinds);
  return usable;
}
