/** The `hashed` auth type: `hashed:/path/to/file` of `username:PHC-hash` lines (argon2id, scrypt, bcrypt). */
import { HashedPasswordChecker, hashFile } from "../checkers/hashed.ts";
import { UsernamePassword } from "../credentials/username-password.ts";
import type { CheckerFactory, CheckerFactoryContext } from "./factory.ts";
import { requirePath } from "./file.ts";

export const hashedCheckerFactory: CheckerFactory & { errorOutput: { write(text: string): unknown } } = {
  authType: "hashed",
  authHelp: `This checker expects to receive the location of a file of
password hashes. Each line in the file should be of the format
'username:hash', where the hash is a PHC string naming its
algorithm: $argon2id$..., $scrypt$ln=..,r=..,p=..$..., or bcrypt's
$2b$...; htpasswd's {SHA} and $apr1$ are read too, for migration.
Make lines with 'portcullis hash USERNAME'. The file is read again
when it changes; a file with an unrecognised hash is refused whole
and the users it last held stay valid.`,
  argStringFormat: "Location of a file of username:PHC-hash lines.",
  credentialKinds: [UsernamePassword.kind],
  errorOutput: process.stderr,
  async generateChecker(argstring: string, context: CheckerFactoryContext = {}) {
    const { logger } = context;
    const checker = new HashedPasswordChecker(hashFile(requirePath(this.authType, argstring, this.errorOutput), { logger }), { logger });
    // Read once now: a plaintext or malformed file is logged at start-up (path and line number).
    await checker.load();
    return checker;
  },
};
