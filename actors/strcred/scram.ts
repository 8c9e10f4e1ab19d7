/** The `scram` auth type: `scram:alice:pw:bob:pw2`, users kept as SCRAM-SHA-256 keys only. */
import { ScramChecker } from "../checkers/scram.ts";
import { SCRAM_SHA_256 } from "../challenges/scram-sha-256.ts";
import { userPairs } from "./user-pairs.ts";
import type { CheckerFactory } from "./factory.ts";

export const scramCheckerFactory: CheckerFactory = {
  authType: "scram",
  authHelp: `A SCRAM-SHA-256 checker (RFC 5802, RFC 7677) for the scram-sha-256 challenge.

Passwords given on the command line are turned into salted keys at start-up
(PBKDF2-SHA-256, 4096 iterations) and then forgotten: the checker keeps only
salt, iterations, StoredKey and ServerKey, and never sees a password again.
The command line itself stays readable with 'ps' while the process runs:
in production use scram-file, which reads stored keys from a file.`,
  argStringFormat: "A colon-separated list (name:password:...)",
  credentialKinds: [SCRAM_SHA_256],
  generateChecker(argstring: string) {
    // The same rules as `memory`: an empty password or a user named twice was accepted silently
    // here (an outside newcomer's `scram:alice::bob:x:bob:y`).
    const checker = new ScramChecker();
    for (const [name, password] of userPairs(argstring)) checker.addUser(name, password);
    return checker;
  },
};
