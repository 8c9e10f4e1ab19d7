/** Twisted's in-memory username/password checker, for examples and tests only (hence the name). */
import { UnauthorizedLogin } from "../errors.ts";
import type { Credentials } from "../credentials/credentials.ts";
import { isPasswordCheckable, passwordMatches, type PasswordCheckable } from "../credentials/password-shapes.ts";
import { UsernameHashedPassword } from "../credentials/username-hashed-password.ts";
import { UsernamePassword } from "../credentials/username-password.ts";
import type { AvatarId, Checker } from "./checker.ts";
import { CramMD5Credentials } from "../challenges/cram-md5.ts";
import { PBMD5Credentials } from "../challenges/pb-md5.ts";

export interface InMemoryDatabaseOptions {
  /** Also list the challenge kinds cram-md5 and pb-md5 (default false: Twisted's two kinds). */
  readonly challenges?: boolean;
}

/** A value no stored password equals, compared against for unknown users so they cost the same. */
const UNKNOWN_USER_PASSWORD = "\u0000portcullis-unknown-user\u0000";

/**
 * Plaintext passwords in memory. Unsafe for production (hence `DontUse`, as in Twisted): the
 * passwords sit unhashed in the process. Checks any credentials with a string `username` and a
 * `checkPassword(stored)` (as Twisted's, which duck-types them): `UsernamePassword`,
 * `UsernameHashedPassword`, cram-md5 and pb-md5 answers, an application's own derived kinds.
 * Rejects with `UnauthorizedLogin`, and with `BadRequest` for a malformed cram-md5 or pb-md5 answer from the wire.
 */
export class InMemoryUsernamePasswordDatabaseDontUse implements Checker {
  readonly credentialKinds: readonly string[] = [UsernamePassword.kind, UsernameHashedPassword.kind];
  readonly #users = new Map<string, string>();

  /**
   * With `challenges: true` it also lists `cram-md5` and `pb-md5` among its kinds (it checks
   * them either way, as `username-hashed-password`): a checker service then accepts them from the
   * wire, and a Portal sends their answers to it even when another checker is registered later
   * for `username-hashed-password`. They come before that kind because a Portal takes the first
   * registered kind the credentials provide, in registration order.
   */
  constructor(users: Record<string, string> = {}, options: InMemoryDatabaseOptions = {}) {
    if (options.challenges === true) {
      this.credentialKinds = [UsernamePassword.kind, CramMD5Credentials.kind, PBMD5Credentials.kind, UsernameHashedPassword.kind];
    }
    for (const [username, password] of Object.entries(users)) this.addUser(username, password);
  }

  addUser(username: string, password: string): void {
    this.#users.set(username, password);
  }

  /** Synchronous, unless the credentials' own `checkPassword` answers with a promise. */
  requestAvatarId(credentials: Credentials): AvatarId | Promise<AvatarId> {
    const checkable = checkableFrom(credentials);
    const stored = this.#users.get(checkable.username);
    // Unknown users still pay for a comparison, so timing does not reveal who exists.
    const matches = passwordMatches(checkable, stored ?? UNKNOWN_USER_PASSWORD);
    const decide = (matched: boolean): AvatarId => {
      if (stored === undefined || !matched) throw new UnauthorizedLogin();
      return checkable.username;
    };
    return typeof matches === "boolean" ? decide(matches) : matches.then(decide);
  }
}

/**
 * The credentials as something to ask `checkPassword`: any of that shape, or a cram-md5 or pb-md5
 * answer that came over the wire as opaque credentials (a checker service). Rejects with
 * `UnauthorizedLogin` for anything else, `BadRequest` for a malformed answer.
 */
function checkableFrom(credentials: Credentials): PasswordCheckable {
  if (isPasswordCheckable(credentials)) return credentials;
  if (credentials.kinds.includes(CramMD5Credentials.kind)) return CramMD5Credentials.from(credentials);
  if (credentials.kinds.includes(PBMD5Credentials.kind)) return PBMD5Credentials.from(credentials);
  throw new UnauthorizedLogin();
}
