/** The shape of a checker plugin (Twisted's `ICheckerFactory`). */
import type { Checker } from "../checkers/checker.ts";
import type { Logger } from "../logger.ts";

/**
 * What the application hands a factory besides the argstring. Optional throughout: a factory
 * written against `generateChecker(argstring)` alone keeps working.
 */
export interface CheckerFactoryContext {
  /** Where the checkers it makes report bad files and lines (never their content). */
  readonly logger?: Logger;
}

/** Turns a command-line argstring into a checker: `--auth TYPE:ARGSTRING`. */
export interface CheckerFactory {
  /** The one-word name used on the command line. */
  readonly authType: string;
  /** Multi-line help, shown by `--help-auth-type TYPE`. */
  readonly authHelp: string;
  /** One line describing the argstring. */
  readonly argStringFormat: string;
  /** The kinds of credentials the checkers it makes can check. */
  readonly credentialKinds: readonly string[];
  /** Rejects with `InvalidAuthArgumentString` when the argstring is malformed. */
  generateChecker(argstring: string, context?: CheckerFactoryContext): Checker | Promise<Checker>;
}
