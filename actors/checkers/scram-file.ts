/** A SCRAM-SHA-256 checker whose users come from a file of stored keys, read again when it changes. */
import type { Credentials } from "../credentials/credentials.ts";
import type { ChallengeQueryChecker } from "../challenges/challenge-query.ts";
import type { ChallengeQuery } from "../challenges/mechanism.ts";
import { parseScramSecret, type ScramKeys } from "../challenges/scram-messages.ts";
import { SCRAM_SHA_256 } from "../challenges/scram-sha-256.ts";
import type { Logger } from "../logger.ts";
import type { AvatarId } from "./checker.ts";
import { MalformedPasswordFile, PasswordFile } from "./file-db.ts";
import { ScramChecker, type ScramCheckerOptions } from "./scram.ts";

const NO_USERS: ReadonlyMap<string, string> = new Map();

export interface ScramKeysFileOptions extends ScramCheckerOptions {
  readonly logger?: Logger;
}

/**
 * Checks `scram-sha-256` against a file of `username:SCRAM-SHA-256$ITERATIONS:SALT$STOREDKEY:SERVERKEY`
 * lines (RFC 5803's form, as PostgreSQL stores them; `portcullis hash --algorithm scram-sha-256`
 * makes them), so no password is ever given to the process, not even at start-up (`scram:` takes
 * them on the command line, where `ps` shows them). The file is read again when it changes, as
 * `FilePasswordDB`'s and `hashed`'s are: a line that is not such keys refuses the whole new
 * version and the previous one stays in use; a missing file refuses every login.
 */
export class ScramKeysFileChecker implements ChallengeQueryChecker {
  readonly credentialKinds: readonly string[] = [SCRAM_SHA_256];
  readonly #file: PasswordFile;
  readonly #checker: ScramChecker;
  #seen: ReadonlyMap<string, string> | undefined;

  constructor(readonly path: string, options: ScramKeysFileOptions = {}) {
    const { logger, ...checkerOptions } = options;
    this.#checker = new ScramChecker(checkerOptions);
    this.#file = new PasswordFile(path, { cache: true, passwordToEnd: true, ...(logger && { logger }) }, (stored, line) => {
      // By line number only: the line holds a user's keys.
      if (parseScramSecret(stored) === undefined) throw new MalformedPasswordFile(`line ${line}: not SCRAM-SHA-256 keys in RFC 5803's form (make them with 'portcullis hash --algorithm scram-sha-256')`, line);
    });
  }

  /** Reads the file now (a bad file is logged at start-up, by line number). */
  async load(): Promise<void> {
    await this.#current();
  }

  async answerChallengeQuery(query: ChallengeQuery): Promise<Record<string, unknown>> {
    await this.#current();
    return this.#checker.answerChallengeQuery(query);
  }

  async requestAvatarId(credentials: Credentials): Promise<AvatarId> {
    await this.#current();
    return this.#checker.requestAvatarId(credentials);
  }

  /** The checker with the file's users as last read; none while the file has never been read. */
  async #current(): Promise<void> {
    let users: ReadonlyMap<string, string>;
    try {
      users = await this.#file.users();
    } catch {
      // No readable file yet: every user is made up, so the exchange goes on and the login is refused.
      users = NO_USERS;
    }
    if (users === this.#seen) return;
    const keys = new Map<string, ScramKeys>();
    for (const [username, stored] of users) keys.set(username, parseScramSecret(stored)!);
    this.#checker.replaceUsers(keys);
    this.#seen = users;
  }
}
