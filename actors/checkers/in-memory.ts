/** Twisted's in-memory username/password checker, for examples and tests only (hence the name). */
import { UnauthorizedLogin } from "../errors.ts";
import type { Credentials } from "../credentials/credentials.ts";
import { UsernameHashedPassword } from "../credentials/username-hashed-password.ts";
import { UsernamePassword } from "../credentials/username-password.ts";
import type { AvatarId, Checker } from "./checker.ts";

/** A value no stored password equals, compared against for unknown users so they cost the same. */
const UNKNOWN_USER_PASSWORD = "\u0000portcullis-unknown-user\u0000";

/**
 * Plaintext passwords in memory. Unsafe for production (hence `DontUse`, as in Twisted): the
 * passwords sit unhashed in the process. Rejects with `UnauthorizedLogin`.
 */
export class InMemoryUsernamePasswordDatabaseDontUse implements Checker {
  readonly credentialKinds: readonly string[] = [UsernamePassword.kind, UsernameHashedPassword.kind];
  readonly #users = new Map<string, string>();

  constructor(users: Record<string, string> = {}) {
    for (const [username, password] of Object.entries(users)) this.addUser(username, password);
  }

  addUser(username: string, password: string): void {
    this.#users.set(username, password);
  }

  requestAvatarId(credentials: Credentials): AvatarId {
    if (!(credentials instanceof UsernamePassword || credentials instanceof UsernameHashedPassword)) {
      throw new UnauthorizedLogin();
    }
    const stored = this.#users.get(credentials.username);
    // Unknown users still pay for a comparison, so timing does not reveal who exists.
    const matches = credentials.checkPassword(stored ?? UNKNOWN_USER_PASSWORD);
    if (stored === undefined || !matches) throw new UnauthorizedLogin();
    return credentials.username;
  }
}
