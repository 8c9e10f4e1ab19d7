/** The `scram-file` auth type: `scram-file:/path/to/file` of `username:SCRAM-SHA-256$…` lines (RFC 5803). */
import { SCRAM_SHA_256 } from "../challenges/scram-sha-256.ts";
import { ScramKeysFileChecker } from "../checkers/scram-file.ts";
import type { CheckerFactory, CheckerFactoryContext } from "./factory.ts";
import { requirePath } from "./file.ts";

export const scramFileCheckerFactory: CheckerFactory & { errorOutput: { write(text: string): unknown } } = {
  authType: "scram-file",
  authHelp: `A SCRAM-SHA-256 checker (RFC 5802, RFC 7677) for the scram-sha-256
challenge, reading stored keys from a file: no password ever reaches the
process, not even at start-up. Each line is 'username:SCRAM-SHA-256$'
followed by ITERATIONS:SALT$STOREDKEY:SERVERKEY (RFC 5803, as PostgreSQL
stores them); make lines with
'portcullis hash --algorithm scram-sha-256 USERNAME'. The file is read
again when it changes; a file with a line that is not such keys is
refused whole and the users it last held stay valid.`,
  argStringFormat: "Location of a file of username:SCRAM-SHA-256$... lines.",
  credentialKinds: [SCRAM_SHA_256],
  errorOutput: process.stderr,
  async generateChecker(argstring: string, context: CheckerFactoryContext = {}) {
    const { logger } = context;
    const checker = new ScramKeysFileChecker(requirePath(this.authType, argstring, this.errorOutput), { ...(logger && { logger }) });
    await checker.load();
    return checker;
  },
};
