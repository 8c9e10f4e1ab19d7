/** Apache `htpasswd` files (bcrypt, `{SHA}`, `$apr1$` lines) as a hashed password store. */
import { bcrypt } from "../hashing/bcrypt.ts";
import { HashedPasswordChecker, hashFile, type HashedPasswordCheckerOptions } from "./hashed.ts";

/**
 * A `HashedPasswordChecker` over an htpasswd file. The configured algorithm defaults to bcrypt
 * (cost 12), which Apache also reads, so rehashed lines keep the file usable by Apache. Rejects
 * with `UnauthorizedLogin`.
 */
export function htpasswdChecker(path: string, options: HashedPasswordCheckerOptions = {}): HashedPasswordChecker {
  return new HashedPasswordChecker(hashFile(path, options.logger ? { logger: options.logger } : {}), { hasher: bcrypt(), ...options });
}
