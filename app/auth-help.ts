/** `--help-auth` and `--help-auth-type TYPE`, in Twisted's AuthOptionsMixin format. */
import { findCheckerFactories, findCheckerFactory, InvalidAuthType } from "../actors/index.ts";
import { UsageError } from "./usage-error.ts";

/** Where an unknown auth type's error points: --help lists options, not auth types. */
export const AUTH_TYPES_HINT = "portcullis --help-auth lists the auth types";

/** Lists every auth type and its argstring format. */
export function helpAuth(): string {
  const factories = findCheckerFactories();
  const width = Math.max(...factories.map((f) => f.authType.length), "AuthType".length);
  const row = (a: string, b: string) => `  ${a.padEnd(width)}\t${b}\n`;
  let out = "Usage: --auth AuthType[:ArgString]\nFor detailed help: --help-auth-type AuthType\n\n";
  out += row("AuthType", "ArgString format") + row("=".repeat(width), "=".repeat(16));
  for (const f of factories) out += row(f.authType, f.argStringFormat);
  return `${out}\n`;
}

/** Detailed help for one auth type; a `UsageError` for an unknown one. */
export function helpAuthType(authType: string): string {
  let factory;
  try {
    factory = findCheckerFactory(authType);
  } catch (error) {
    // Twisted's words (strcred's opt_help_auth_type); only the hint under them is ours.
    if (error instanceof InvalidAuthType) throw new UsageError(`Invalid auth type: ${authType}`, AUTH_TYPES_HINT);
    throw error;
  }
  let out = `Usage: --auth ${authType}[:ArgString]\nArgString format: ${factory.argStringFormat}\n\n`;
  for (const line of factory.authHelp.trim().split("\n")) out += `  ${line.trimEnd()}\n`;
  return `${out}\n`;
}
