/** The `file` auth type: `file:/path/to/passwd`, Twisted's cred_file plugin. */
import { statSync } from "node:fs";
import { FilePasswordDB } from "../checkers/file-db.ts";
import { UsernameHashedPassword } from "../credentials/username-hashed-password.ts";
import { UsernamePassword } from "../credentials/username-password.ts";
import { InvalidAuthArgumentString } from "./errors.ts";
import type { CheckerFactory, CheckerFactoryContext } from "./factory.ts";

/** Twisted's warning for a path that is not a file: the checker is still made (the file may appear later). */
export const INVALID_FILE_WARNING = "Warning: not a valid file";

/** True when `path` names a regular file now. */
export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Makes the argstring a path, warning on `errorOutput` as Twisted does when it is not a file yet. */
export function requirePath(authType: string, argstring: string, errorOutput: { write(text: string): unknown }): string {
  if (!argstring.trim()) throw new InvalidAuthArgumentString(`'${authType}' requires a filename`);
  if (!isFile(argstring)) errorOutput.write(`${INVALID_FILE_WARNING}: ${argstring}\n`);
  return argstring;
}

export const fileCheckerFactory: CheckerFactory & { errorOutput: { write(text: string): unknown } } = {
  authType: "file",
  authHelp: `This checker expects to receive the location of a file that
conforms to the FilePasswordDB format. Each line in the file
should be of the format 'username:password', in plain text.
The file is read again when it changes; if it goes missing or
cannot be read, the users it last held stay valid.`,
  argStringFormat: "Location of a FilePasswordDB-formatted file.",
  credentialKinds: [UsernamePassword.kind, UsernameHashedPassword.kind],
  errorOutput: process.stderr,
  async generateChecker(argstring: string, context: CheckerFactoryContext = {}) {
    const checker = new FilePasswordDB(requirePath(this.authType, argstring, this.errorOutput), { logger: context.logger });
    // Read once now: a bad file (or line) is logged at start-up, not first at some user's login.
    await checker.load();
    return checker;
  },
};
