/** Twisted's `SSHPublicKeyDatabase`: users' authorized_keys files, checked against ssh-key signatures. */
import { verify } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import type { Credentials } from "../credentials/credentials.ts";
import { BadRequest, UnauthorizedLogin, UnhandledCredentials } from "../errors.ts";
import { silentLogger, type Logger } from "../logger.ts";
import type { ChallengeQueryChecker } from "../challenges/challenge-query.ts";
import type { ChallengeQuery } from "../challenges/mechanism.ts";
import { SSH_KEY, SSHKeyCredentials } from "../challenges/ssh-key.ts";
import { isSSHAlgorithm, isStrictBase64, parseSSHPublicKey, SSH_ALGORITHMS, type SSHAlgorithm, type SSHPublicKey } from "../challenges/ssh-wire.ts";
import type { AvatarId } from "./checker.ts";

/** Where a user's authorized_keys file is: a map, or a function (e.g. `~user/.ssh/authorized_keys`). */
export type AuthorizedKeysSource = Readonly<Record<string, string>> | ((username: string) => string | undefined);

export interface SSHPublicKeyDatabaseOptions {
  /** Told about unreadable files and bad lines (never their content). */
  readonly logger?: Logger;
}

/** How many users' parsed files a function source keeps (a map source keeps all of its own). */
const MAX_CACHED_FILES = 10_000;

/** One authorized_keys file as last read: its keys, by blob too, and what its stat said then. */
interface KeyFile {
  readonly signature: string;
  readonly keys: readonly SSHPublicKey[];
  /**
   * By their blob's base64: finding a key costs one lookup whatever the file holds. A scan of
   * the keys made a known user's refusal slower with each key (0.2 µs a key), where an unknown
   * user's had none to scan (an outside probe told them apart at 1,000 keys).
   */
  readonly byBlob: ReadonlyMap<string, SSHPublicKey>;
}

/** What a user without a readable file has. */
const NO_KEYS: KeyFile = { signature: "", keys: [], byBlob: new Map() };

function keyFile(signature: string, keys: readonly SSHPublicKey[]): KeyFile {
  const byBlob = new Map<string, SSHPublicKey>();
  for (const key of keys) {
    const blob = key.blob.toString("base64");
    if (!byBlob.has(blob)) byBlob.set(blob, key);
  }
  return { signature, keys, byBlob };
}

/**
 * Checks `ssh-key` answers against each user's authorized_keys file. Each check looks at the
 * file's stat, and reads it again when it changed, so that removing a key takes effect at once.
 * Comments and blank lines are skipped; bad lines are logged and skipped. Rejects with
 * `UnauthorizedLogin` for an unknown user, a key not listed and a bad signature alike.
 *
 * In about the same time, too: reading and parsing a user's file at every check made a known
 * user's refusal 0.3–4 ms slower than an unknown one's (an outside probe told them apart in a few
 * samples). So parsed files are kept, every check costs one stat (an unknown user of a map
 * source stats one of the map's files instead), and a map source's files are all read before
 * the first check is answered. A function source cannot be listed: the first check for each of
 * its users reads that user's file.
 */
export class SSHPublicKeyDatabase implements ChallengeQueryChecker {
  readonly credentialKinds: readonly string[] = [SSH_KEY];
  readonly #source: AuthorizedKeysSource;
  readonly #logger: Logger;
  /** Parsed files by path; oldest use first (a function source's are capped). */
  readonly #files = new Map<string, KeyFile>();
  /** A map source's files, all read once before the first check is answered. */
  #preloaded: Promise<void> | undefined;
  /** What each file's warnings were last about (its stat signature, or its read error): said once per version. */
  readonly #warnedAbout = new Map<string, string>();

  constructor(source: AuthorizedKeysSource, options: SSHPublicKeyDatabaseOptions = {}) {
    this.#source = typeof source === "function" ? source : { ...source };
    this.#logger = options.logger ?? silentLogger;
  }

  /** The keys listed for `username`; none when the file is missing or unreadable. */
  async authorizedKeys(username: string): Promise<readonly SSHPublicKey[]> {
    return (await this.#fileOf(username)).keys;
  }

  async #fileOf(username: string): Promise<KeyFile> {
    const source = this.#source;
    if (typeof source === "function") {
      const path = source(username);
      return path === undefined ? NO_KEYS : this.#keysAt(path);
    }
    await (this.#preloaded ??= this.#readAll(Object.values(source)));
    const path = Object.hasOwn(source, username) ? source[username] : undefined;
    if (path !== undefined) return this.#keysAt(path);
    // The same stat a known user's check costs, on a file of the map's own.
    const decoy = Object.values(source)[0];
    if (decoy !== undefined) await this.#keysAt(decoy);
    return NO_KEYS;
  }

  /** One after the other: the warnings then come in the map's order. */
  async #readAll(paths: readonly string[]): Promise<void> {
    for (const path of paths) await this.#keysAt(path);
  }

  async #keysAt(path: string): Promise<KeyFile> {
    let signature: string;
    try {
      const info = await stat(path, { bigint: true });
      signature = `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
    } catch (error) {
      this.#unreadable(path, error);
      return NO_KEYS;
    }
    const cached = this.#files.get(path);
    if (cached?.signature === signature) {
      // Most recently used last: the cap drops the least recently used first.
      this.#files.delete(path);
      this.#files.set(path, cached);
      return cached;
    }
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      this.#unreadable(path, error);
      return NO_KEYS;
    }
    // A change between the stat and the read shows in the next check's stat: read again then.
    const file = keyFile(signature, this.#parse(path, text, this.#firstTime(path, signature)));
    this.#files.delete(path);
    this.#files.set(path, file);
    if (typeof this.#source === "function" && this.#files.size > MAX_CACHED_FILES) {
      this.#files.delete(this.#files.keys().next().value!);
    }
    return file;
  }

  #parse(path: string, text: string, warn: boolean): SSHPublicKey[] {
    const keys: SSHPublicKey[] = [];
    text.split(/\r?\n/).forEach((raw, index) => {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) return;
      const parsed = parseLine(line);
      if (typeof parsed !== "string") keys.push(parsed);
      else if (warn) this.#logger.warn({ file: path, line: index + 1, ...(parsed === "bad" ? {} : { option: parsed }) }, parsed === "bad" ? "skipped a bad authorized_keys line" : "skipped an authorized_keys line with an option this checker cannot enforce");
    });
    return keys;
  }

  #unreadable(path: string, error: unknown): void {
    this.#files.delete(path);
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    // A function source names a file for any name asked about: most names have none, and a
    // warning for each would let anyone write the log (and fill this map) with names of their own.
    if (code === "ENOENT" && typeof this.#source === "function") return;
    if (this.#firstTime(path, `error:${code}`)) this.#logger.warn({ file: path, err: code }, "cannot read authorized_keys");
  }

  #firstTime(path: string, what: string): boolean {
    if (this.#warnedAbout.get(path) === what) return false;
    this.#warnedAbout.set(path, what);
    if (this.#warnedAbout.size > MAX_CACHED_FILES) this.#warnedAbout.delete(this.#warnedAbout.keys().next().value!);
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
    // Canonical base64 (the padding a client may leave out restored), as the file's blobs are keyed.
    const blob = Buffer.from(publicKey, "base64").toString("base64");
    // Public keys are not secrets: a plain lookup is fine here.
    const key = (await this.#fileOf(username)).byBlob.get(blob);
    return key?.type === SSH_ALGORITHMS[algorithm] ? key : undefined;
  }
}

const KEY_TYPES = new Set(["ssh-ed25519", "ssh-rsa"]);

/**
 * Options that narrow who may log in with a key. None can be enforced here (a NATS request
 * carries no source address; certificates are not supported), and ignoring one would accept the
 * key more widely than the file says (an outside probe logged in from 127.0.0.1 with a key
 * marked `from="10.9.9.9"`): such a line is skipped. Options about the SSH session itself
 * (`command=`, `no-pty`, `restrict`, …) do not concern logging in, and are ignored.
 */
const UNENFORCEABLE_OPTIONS = /(?:^|,)\s*(from|cert-authority|principals|expiry-time|verify-required)\b/i;

/** `[options] type base64 [comment]`; the key type must match the blob's. "bad", or the option that skips the line. */
function parseLine(line: string): SSHPublicKey | "bad" | string {
  const tokens = line.split(/\s+/);
  const at = tokens.findIndex((t) => KEY_TYPES.has(t));
  if (at < 0 || at + 1 >= tokens.length || !isStrictBase64(tokens[at + 1]!)) return "bad";
  const key = parseSSHPublicKey(Buffer.from(tokens[at + 1]!, "base64"));
  if (!key || key.type !== tokens[at]) return "bad";
  const option = at > 0 ? UNENFORCEABLE_OPTIONS.exec(tokens.slice(0, at).join(" "))?.[1] : undefined;
  return option === undefined ? key : option.toLowerCase();
}
