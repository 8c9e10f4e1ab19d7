/** The `sshkey` auth type: `sshkey:alice=/path/authorized_keys:bob=/path2`, Twisted's cred_sshkeys. */
import { SSHPublicKeyDatabase } from "../checkers/ssh-keys.ts";
import { SSH_KEY } from "../challenges/ssh-key.ts";
import { InvalidAuthArgumentString } from "./errors.ts";
import type { CheckerFactory, CheckerFactoryContext } from "./factory.ts";

export const sshKeyCheckerFactory: CheckerFactory = {
  authType: "sshkey",
  authHelp: `Checks ssh-key challenge answers against authorized_keys files.

Each user names an OpenSSH authorized_keys style file, read at start and again
whenever it changes (ssh-ed25519 and ssh-rsa keys; signatures ssh-ed25519 and
rsa-sha2-256). Comments and blank lines are skipped; malformed lines, and keys
with options that narrow who may use them (from=, cert-authority, ...), are
logged and skipped.`,
  argStringFormat: "A colon-separated list (user=/path/to/authorized_keys:...)",
  credentialKinds: [SSH_KEY],
  async generateChecker(argstring: string, context: CheckerFactoryContext = {}) {
    // A checker with no users refuses everyone: surely not what was meant.
    if (argstring === "") throw new InvalidAuthArgumentString("argstring must name at least one user: user=/path:...");
    const files: Record<string, string> = {};
    for (const piece of argstring.split(":")) {
      const at = piece.indexOf("=");
      if (at <= 0 || at === piece.length - 1) throw new InvalidAuthArgumentString("argstring must be in format user=/path:...");
      files[piece.slice(0, at)] = piece.slice(at + 1);
    }
    const checker = new SSHPublicKeyDatabase(files, { logger: context.logger });
    // Read each file once now: a missing file or a bad line is logged at start-up too, not only
    // at that user's login (a file is read again whenever it changes).
    for (const username of Object.keys(files)) await checker.authorizedKeys(username);
    return checker;
  },
};
