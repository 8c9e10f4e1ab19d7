/** The `memory` auth type: `memory:alice:pw:bob:pw2`, Twisted's cred_memory plugin. */
import { InMemoryUsernamePasswordDatabaseDontUse } from "../checkers/in-memory.ts";
import { UsernameHashedPassword } from "../credentials/username-hashed-password.ts";
import { UsernamePassword } from "../credentials/username-password.ts";
import { InvalidAuthArgumentString } from "./errors.ts";
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
    if (argstring) {
      const pieces = argstring.split(":");
      if (pieces.length % 2) throw new InvalidAuthArgumentString("argstring must be in format U:P:...");
      // `memory::pw` would log in as "": no name, no avatar. (An empty argstring is no users, as Twisted.)
      // Nor an empty password: `memory:alice:` would let alice in with nothing.
      if (pieces.some((piece) => piece === "")) throw new InvalidAuthArgumentString("argstring must be in format U:P:... with no empty U or P");
      const seen = new Set<string>();
      for (let i = 0; i < pieces.length; i += 2) {
        // Twisted would keep the last silently; one of the two passwords is surely a mistake.
        if (seen.has(pieces[i]!)) throw new InvalidAuthArgumentString(`argstring names user ${pieces[i]} twice`);
        seen.add(pieces[i]!);
        checker.addUser(pieces[i]!, pieces[i + 1]!);
      }
    }
    return checker;
  },
};
