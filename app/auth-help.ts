/** `--help-auth` and `--help-auth-type TYPE`, in Twisted's AuthOptionsMixin format. */
import { findCheckerFactories, findCheckerFactory, InvalidAuthType } from "../actors/index.ts";
import { UsageError } from "./usage-error.ts";

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
    if (error instanceof InvalidAuthType) throw new UsageError(`Invalid auth type: ${authType}`);
    throw error;
  }
  let out = `Usage: --auth ${authType}[:ArgString]\nArgString format: ${factory.argStringFormat}\n\n`;
  for (const line of factory.authHelp.trim().split("\n")) out += `  ${line.trimEnd()}\n`;
  return `${out}\n`;
}
