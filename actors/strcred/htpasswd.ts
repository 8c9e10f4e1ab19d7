/** The `htpasswd` auth type: `htpasswd:/path/to/.htpasswd`, an Apache password file. */
import { htpasswdChecker } from "../checkers/htpasswd.ts";
import { UsernamePassword } from "../credentials/username-password.ts";
import type { CheckerFactory, CheckerFactoryContext } from "./factory.ts";
import { requirePath } from "./file.ts";

export const htpasswdCheckerFactory: CheckerFactory & { errorOutput: { write(text: string): unknown } } = {
  authType: "htpasswd",
  authHelp: `This checker expects to receive the location of an Apache
htpasswd file. Each line in the file should be of the format
'username:hash', with bcrypt ($2y$, from 'htpasswd -B'), SHA-1
({SHA}, 'htpasswd -s') or MD5 ($apr1$, 'htpasswd -m') hashes.
crypt() and plain-text lines are not supported. The file is read
again when it changes.`,
  argStringFormat: "Location of an Apache htpasswd file.",
  credentialKinds: [UsernamePassword.kind],
  errorOutput: process.stderr,
  async generateChecker(argstring: string, context: CheckerFactoryContext = {}) {
    const checker = htpasswdChecker(requirePath(this.authType, argstring, this.errorOutput), { logger: context.logger });
    // Read once now: a malformed file is logged at start-up (path and line number).
    await checker.load();
    return checker;
  },
};
