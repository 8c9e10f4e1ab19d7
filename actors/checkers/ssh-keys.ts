/** Twisted's `SSHPublicKeyDatabase`: users' authorized_keys files, checked against ssh-key signatures. */
import { createHash, verify } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Credentials } from "../credentials/credentials.ts";
import { BadRequest, UnauthorizedLogin, UnhandledCredentials } from "../errors.ts";
import { silentLogger, type Logger } from "../logger.ts";
import type { ChallengeQueryChecker } from "../challenges/challenge-query.ts";
import type { ChallengeQuery } from "../challenges/mechanism.ts";
import { SSH_KEY, SSHKeyCredentials } from "../challenges/ssh-key.ts";
import { isSSHAlgorithm, parseSSHPublicKey, SSH_ALGORITHMS, type SSHAlgorithm, type SSHPublicKey } from "../challenges/ssh-wire.ts";
import type { AvatarId } from "./checker.ts";

/** Where a user's authorized_keys file is: a map, or a function (e.g. `~user/.ssh/authorized_keys`). */
export type AuthorizedKeysSource = Readonly<Record<string, string>> | ((username: string) => string | undefined);

export interface SSHPublicKeyDatabaseOptions {
  /** Told about unreadable files and bad lines (never their content). */
  readonly logger?: Logger;
}

/**
 * Checks `ssh-key` answers against each user's authorized_keys file, read at every check so
 * that removing a key takes effect at once. Comments and blank lines are skipped; bad lines are
 * logged and skipped. Rejects with `UnauthorizedLogin` for an unknown user, a key not listed
 * and a bad signature alike.
 */
export class SSHPublicKeyDatabase implements ChallengeQueryChecker {
  readonly credentialKinds: readonly string[] = [SSH_KEY];
  readonly #source: AuthorizedKeysSource;
  readonly #logger: Logger;
  /**
   * What each file's warnings were last about (a digest of its text, or its read error): the
   * file is read at every login attempt, and the same warning each time, unauthenticated
   * attempts included, would flood the log.
   */
  readonly #warnedAbout = new Map<string, string>();

  constructor(source: AuthorizedKeysSource, options: SSHPublicKeyDatabaseOptions = {}) {
    this.#source = typeof source === "function" ? source : { ...source };
    this.#logger = options.logger ?? silentLogger;
  }

  /** The keys listed for `username`; none when the file is missing or unreadable. */
  async authorizedKeys(username: string): Promise<SSHPublicKey[]> {
    const path = typeof this.#source === "function" ? this.#source(username) : Object.hasOwn(this.#source, username) ? this.#source[username] : undefined;
    if (path === undefined) return [];
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
      if (this.#firstTime(path, `error:${code}`)) this.#logger.warn({ file: path, err: code }, "cannot read authorized_keys");
      return [];
    }
    const warn = this.#firstTime(path, createHash("sha256").update(text).digest("base64"));
    const keys: SSHPublicKey[] = [];
    text.split(/\r?\n/).forEach((raw, index) => {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) return;
      const key = parseLine(line);
      if (key) keys.push(key);
      else if (warn) this.#logger.warn({ file: path, line: index + 1 }, "skipped a bad authorized_keys line");
    });
    return keys;
  }

  #firstTime(path: string, what: string): boolean {
    if (this.#warnedAbout.get(path) === what) return false;
    this.#warnedAbout.set(path, what);
    return true;
  }

  /** `{"mechanism": "ssh-key", "username", "algorithm", "publicKey"}` → `{"keyAcceptable": boolean}`. */
  async answerChallengeQuery(query: ChallengeQuery): Promise<Record<string, unknown>> {
    if (query.mechanism !== SSH_KEY) throw new UnhandledCredentials(`no challenge queries for ${String(query.mechanism)}`);
    const { username, algorithm, publicKey } = query;
    if (typeof username !== "string" || typeof publicKey !== "string" || !isSSHAlgorithm(algorithm)) {
      throw new BadRequest("invalid query: expected username, algorithm and publicKey");
    }
    return { keyAcceptable: (await this.#find(username, algorithm, publicKey)) !== undefined };
  }

  async requestAvatarId(credentials: Credentials): Promise<AvatarId> {
    const c = SSHKeyCredentials.from(credentials);
    const key = await this.#find(c.username, c.algorithm, c.publicKey);
    const challenge = Buffer.from(c.challenge, "base64");
    const signature = Buffer.from(c.signature, "base64");
    if (!key || challenge.length !== 32) throw new UnauthorizedLogin();
    let valid = false;
    try {
      valid = verify(c.algorithm === "ssh-ed25519" ? null : "sha256", challenge, key.key, signature);
    } catch {
      valid = false;
    }
    if (!valid) throw new UnauthorizedLogin();
    return c.username;
  }

  async #find(username: string, algorithm: SSHAlgorithm, publicKey: string): Promise<SSHPublicKey | undefined> {
    const blob = Buffer.from(publicKey, "base64");
    // Public keys are not secrets: a plain comparison is fine here.
    return (await this.authorizedKeys(username)).find((k) => k.type === SSH_ALGORITHMS[algorithm] && k.blob.equals(blob));
  }
}

const KEY_TYPES = new Set(["ssh-ed25519", "ssh-rsa"]);

/** `[options] type base64 [comment]`; the key type must match the blob's. */
function parseLine(line: string): SSHPublicKey | undefined {
  const tokens = line.split(/\s+/);
  const at = tokens.findIndex((t) => KEY_TYPES.has(t));
  if (at < 0 || at + 1 >= tokens.length) return undefined;
  const key = parseSSHPublicKey(Buffer.from(tokens[at + 1]!, "base64"));
  return key && key.type === tokens[at] ? key : undefined;
}
