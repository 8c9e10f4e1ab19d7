/** Checker plugins in Twisted's strcred style: `--auth TYPE:ARGSTRING`. */
export { anonymousCheckerFactory } from "./anonymous.ts";
export { InvalidAuthArgumentString, InvalidAuthType, StrcredException, UnsupportedKinds } from "./errors.ts";
export type { CheckerFactory, CheckerFactoryContext } from "./factory.ts";
export { inMemoryCheckerFactory } from "./memory.ts";
export { findCheckerFactories, findCheckerFactory, makeChecker, parseAuthDescription, registerCheckerFactory, supportedKinds } from "./registry.ts";
