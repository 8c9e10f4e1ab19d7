/** What the password checkers need of credentials, by shape: Twisted's checkers duck-type them too. */
import type { Credentials } from "./credentials.ts";
import { UsernamePassword } from "./username-password.ts";

/**
 * Credentials a checker holding the stored (plaintext) password can verify: a string `username`
 * and `checkPassword(stored)` (Twisted's `IUsernamePassword` and `IUsernameHashedPassword`).
 * `UsernamePassword`, `UsernameHashedPassword`, `CramMD5Credentials`, `PBMD5Credentials` and any
 * application's own credentials of this shape.
 */
export interface PasswordCheckable extends Credentials {
  readonly username: string;
  /** True when the credentials match `stored`; may answer with a promise (Twisted allows a Deferred). */
  checkPassword(stored: string): boolean | PromiseLike<boolean>;
}

/** Credentials that carry the plaintext password itself (Twisted's `IUsernamePassword`), for checkers that hash it. */
export interface PlaintextPassword extends Credentials {
  readonly username: string;
  readonly password: string;
}

/** True for credentials of the `PasswordCheckable` shape, whatever their class. */
export function isPasswordCheckable(credentials: Credentials): credentials is PasswordCheckable {
  const shape = credentials as Partial<PasswordCheckable>;
  return typeof shape.username === "string" && typeof shape.checkPassword === "function";
}

/**
 * True for credentials of kind `username-password` carrying a string `password`. The kind is
 * required as well as the field: it is the credentials' own claim that `password` is what the
 * user typed, never a client-side hash a checker must not hash again (pass-the-hash).
 */
export function isPlaintextPassword(credentials: Credentials): credentials is PlaintextPassword {
  const shape = credentials as Partial<PlaintextPassword>;
  return credentials.kinds.includes(UsernamePassword.kind) && typeof shape.username === "string" && typeof shape.password === "string";
}

/**
 * Runs `credentials.checkPassword(stored)`; only a result of exactly `true` (or a promise of it)
 * is a match, so a checkPassword answering a truthy non-boolean never lets anyone in. Synchronous
 * when checkPassword is.
 */
export function passwordMatches(credentials: PasswordCheckable, stored: string): boolean | Promise<boolean> {
  const result = credentials.checkPassword(stored);
  if (typeof (result as Partial<PromiseLike<boolean>> | null | undefined)?.then === "function") {
    return Promise.resolve(result).then((matched) => matched === true);
  }
  return result === true;
}
