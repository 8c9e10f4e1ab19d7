/** Twisted's in-memory username/password checker, for examples and tests only (hence the name). */
import { UnauthorizedLogin } from "../errors.ts";
import type { Credentials } from "../credentials/credentials.ts";
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
 * passwords sit unhashed in the process. Rejects with `UnauthorizedLogin`.
 */
export class InMemoryUsernamePasswordDatabaseDontUse implements Checker {
  readonly credentialKinds: readonly string[] = [UsernamePassword.kind, UsernameHashedPassword.kind];
  readonly #users = new Map<string, string>();

  /**
   * With `challenges: true` it also lists `cram-md5` and `pb-md5` among its kinds (it checks
   * them either way): they need the shared secret, which only a plaintext database has.
   */
  constructor(users: Record<string, string> = {}, options: InMemoryDatabaseOptions = {}) {
    if (options.challenges === true) this.credentialKinds = [...this.credentialKinds, CramMD5Credentials.kind, PBMD5Credentials.kind];
    for (const [username, password] of Object.entries(users)) this.addUser(username, password);
  }

  addUser(username: string, password: string): void {
    this.#users.set(username, password);
  }

  requestAvatarId(credentials: Credentials): AvatarId {
    if (credentials.kinds.includes(CramMD5Credentials.kind)) return this.#checkChallenge(CramMD5Credentials.from(credentials));
    if (credentials.kinds.includes(PBMD5Credentials.kind)) return this.#checkChallenge(PBMD5Credentials.from(credentials));
    if (!(credentials instanceof UsernamePassword || credentials instanceof UsernameHashedPassword)) {
      throw new UnauthorizedLogin();
    }
    const stored = this.#users.get(credentials.username);
    // Unknown users still pay for a comparison, so timing does not reveal who exists.
    const matches = credentials.checkPassword(stored ?? UNKNOWN_USER_PASSWORD);
    if (stored === undefined || !matches) throw new UnauthorizedLogin();
    return credentials.username;
  }

  /** cram-md5 and pb-md5 (Twisted's `CramMD5Credentials.checkPassword`, `pb.respond`). */
  #checkChallenge(credentials: CramMD5Credentials | PBMD5Credentials): AvatarId {
    const stored = this.#users.get(credentials.username);
    const matches = credentials.checkPassword(stored ?? UNKNOWN_USER_PASSWORD);
    if (stored === undefined || !matches) throw new UnauthorizedLogin();
    return credentials.username;
  }
}
