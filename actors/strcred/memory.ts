/** The `memory` auth type: `memory:alice:pw:bob:pw2`, Twisted's cred_memory plugin. */
import { InMemoryUsernamePasswordDatabaseDontUse } from "../checkers/in-memory.ts";
import { UsernameHashedPassword } from "../credentials/username-hashed-password.ts";
import { UsernamePassword } from "../credentials/username-password.ts";
import { userPairs } from "./user-pairs.ts";
import type { CheckerFactory } from "./factory.ts";

export const inMemoryCheckerFactory: CheckerFactory = {
  authType: "memory",
  authHelp: `A checker that uses an in-memory user database.

This is only of use in one-off test programs or examples which don't
want to focus too much on how credentials are verified. You really
don't want to use this for anything else. It is a toy.`,
  argStringFormat: "A colon-separated list (name:password:...)",
  credentialKinds: [UsernamePassword.kind, "cram-md5", "pb-md5", UsernameHashedPassword.kind],
  generateChecker(argstring: string) {
    // It holds plaintext, so it can check cram-md5 and pb-md5 answers too: offer them.
    const checker = new InMemoryUsernamePasswordDatabaseDontUse({}, { challenges: true });
    for (const [name, password] of userPairs(argstring)) checker.addUser(name, password);
    return checker;
  },
};
