/** Apache `htpasswd` files (bcrypt, `{SHA}`, `$apr1$` lines) as a hashed password store. */
import { bcrypt } from "../hashing/bcrypt.ts";
import type { PasswordFileLayout } from "./file-db.ts";
import { HashedPasswordChecker, hashFile, type HashedPasswordCheckerOptions } from "./hashed.ts";

/** The checker's options, and how long a file changed in place must settle before it is read (see `PasswordFileLayout`). */
export type HtpasswdCheckerOptions = HashedPasswordCheckerOptions & Pick<PasswordFileLayout, "settleMs" | "unterminatedSettleMs">;

/**
 * A `HashedPasswordChecker` over an htpasswd file. The configured algorithm defaults to bcrypt
 * (cost 12), which Apache also reads, so rehashed lines keep the file usable by Apache. Rejects
 * with `UnauthorizedLogin`.
 */
export function htpasswdChecker(path: string, options: HtpasswdCheckerOptions = {}): HashedPasswordChecker {
  const { settleMs, unterminatedSettleMs, ...checker } = options;
  const layout: PasswordFileLayout = {
    ...(checker.logger && { logger: checker.logger }),
    ...(settleMs !== undefined && { settleMs }),
    ...(unterminatedSettleMs !== undefined && { unterminatedSettleMs }),
  };
  return new HashedPasswordChecker(hashFile(path, layout), { hasher: bcrypt(), ...checker });
}
