/** Twisted's `FilePasswordDB`: a delimited text file of users and passwords, reloaded when it changes. */
import { open } from "node:fs/promises";
import type { Credentials } from "../credentials/credentials.ts";
import { constantTimeEqual } from "../credentials/constant-time.ts";
import { isPasswordCheckable, isPlaintextPassword, passwordMatches, type PlaintextPassword } from "../credentials/password-shapes.ts";
import { UsernameHashedPassword } from "../credentials/username-hashed-password.ts";
import { UsernamePassword } from "../credentials/username-password.ts";
import { LoginFailed, UnauthorizedLogin } from "../errors.ts";
import { silentLogger, type Logger } from "../logger.ts";
import type { AvatarId, Checker } from "./checker.ts";

/** Turns the password a client sent into the form the file stores (Twisted's `hash`). */
export type FileHash = (username: string, password: string, stored: string) => string | Promise<string>;

/** How a password file is laid out (Twisted's `FilePasswordDB` arguments). */
export interface PasswordFileLayout {
  /** Field delimiter; default ":". */
  readonly delim?: string;
  /** Index of the username among the fields; default 0. */
  readonly usernameField?: number;
  /** Index of the password among the fields; default 1. */
  readonly passwordField?: number;
  /** When false, names are looked up, and come back, lower-cased; default true. */
  readonly caseSensitive?: boolean;
  /**
   * When true the file is re-read only when its size, times or inode change; when false (the
   * default, as Twisted) it is re-read on every lookup.
   */
  readonly cache?: boolean;
  readonly logger?: Logger;
}

export interface FilePasswordDBOptions extends PasswordFileLayout {
  /** With it the file holds hashes and only `username-password` credentials are checked. */
  readonly hash?: FileHash;
}

/** Thrown by a `validate` callback to refuse a whole file (it is then treated as unparsable). */
export class MalformedPasswordFile extends Error {
  override readonly name = "MalformedPasswordFile";
  /** The line at fault, logged as a number: the line itself may hold a password. */
  constructor(message: string, readonly line?: number) {
    super(message);
  }
}

interface Snapshot {
  readonly users: ReadonlyMap<string, string>;
  readonly signature: string;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * The parsed contents of a password file, swapped in whole: a reload parses the new file fully
 * first, and a file that is missing, unreadable, empty (mid-rewrite) or malformed keeps the
 * previous contents. Only with no good contents yet does `lookup` reject with `UnauthorizedLogin`.
 */
export class PasswordFile {
  readonly #delim: string;
  readonly #ufield: number;
  readonly #pfield: number;
  readonly #caseSensitive: boolean;
  readonly #cache: boolean;
  readonly #logger: Logger;
  #snapshot: Snapshot | undefined;
  #loading: Promise<void> | undefined;
  #lastFailure = "";

  constructor(
    readonly path: string,
    layout: PasswordFileLayout = {},
    private readonly validate: (stored: string, line: number) => void = () => undefined,
  ) {
    this.#delim = layout.delim ?? ":";
    this.#ufield = layout.usernameField ?? 0;
    this.#pfield = layout.passwordField ?? 1;
    this.#caseSensitive = layout.caseSensitive ?? true;
    this.#cache = layout.cache ?? false;
    this.#logger = (layout.logger ?? silentLogger).child({ passwordFile: path });
  }

  /** The name as the file stores it (lower-cased when case-insensitive). */
  canonical(username: string): string {
    return this.#caseSensitive ? username : username.toLowerCase();
  }

  /** Reads the file if it changed (always, without `cache`); problems are logged, never thrown. */
  async load(): Promise<void> {
    // One read at a time: concurrent lookups share it.
    await (this.#loading ??= this.#reload().finally(() => (this.#loading = undefined)));
  }

  /** Every user and stored password, after a reload if needed. Rejects with `UnauthorizedLogin` when there are none yet. */
  async users(): Promise<ReadonlyMap<string, string>> {
    await this.load();
    if (this.#snapshot === undefined) throw new UnauthorizedLogin();
    return this.#snapshot.users;
  }

  /** The stored password of `username` (any case when case-insensitive), or undefined. */
  async lookup(username: string): Promise<string | undefined> {
    return (await this.users()).get(this.canonical(username));
  }

  async #reload(): Promise<void> {
    let handle;
    try {
      handle = await open(this.path, "r");
      const before = await handle.stat({ bigint: true });
      const signature = `${before.ino}:${before.size}:${before.mtimeNs}:${before.ctimeNs}`;
      if (this.#cache && this.#snapshot?.signature === signature) return;
      const bytes = await handle.readFile();
      const after = await handle.stat({ bigint: true });
      if (after.size !== before.size || after.mtimeNs !== before.mtimeNs) throw new MalformedPasswordFile("changed while being read");
      if (bytes.length === 0) throw new MalformedPasswordFile("empty (taken as being rewritten)");
      const { users, warnings } = this.#parse(decoder.decode(bytes));
      // Without `cache` the same file is parsed at every lookup: warn once per version of it.
      if (this.#snapshot?.signature !== signature) for (const [line, message] of warnings) this.#logger.warn({ line }, message);
      this.#snapshot = { users, signature };
      this.#lastFailure = "";
    } catch (error) {
      this.#failed(error);
    } finally {
      await handle?.close();
    }
  }

  /**
   * The users, and warnings by line number. Warnings never quote the line: a misplaced delimiter
   * can put a password in any field.
   */
  #parse(text: string): { users: Map<string, string>; warnings: Array<[number, string]> } {
    const users = new Map<string, string>();
    const warnings: Array<[number, string]> = [];
    const fields = Math.max(this.#ufield, this.#pfield) + 1;
    const lines = text.split("\n");
    for (const [index, raw] of lines.entries()) {
      const line = index + 1;
      // As Twisted: trailing whitespace goes, and lines with too few fields are skipped.
      const parts = raw.trimEnd().split(this.#delim);
      if (parts.length < fields) continue;
      const username = this.canonical(parts[this.#ufield]!);
      // `:secret` would log in as "": no name, no avatar.
      if (username === "") {
        warnings.push([line, "empty username; line skipped"]);
        continue;
      }
      const stored = parts[this.#pfield]!;
      this.validate(stored, line);
      // Parsed as Twisted does (`a:b:c` stores `b`), but a password holding the delimiter is cut short.
      if (parts.length > fields) warnings.push([line, `more fields than expected (${fields}); extra fields ignored, a password containing the delimiter is cut short`]);
      // `user:` would otherwise accept an empty password; the checker refuses it.
      if (stored === "") warnings.push([line, "empty password; this user cannot log in"]);
      // The first entry wins (Twisted without cache, and Apache): see docs/checkers.md.
      if (users.has(username)) warnings.push([line, "duplicate user ignored; the first entry wins"]);
      else users.set(username, stored);
    }
    return { users, warnings };
  }

  #failed(error: unknown): void {
    const reason = error instanceof Error ? `${(error as NodeJS.ErrnoException).code ?? error.name}: ${error.message}` : String(error);
    const fields = { err: reason, ...(error instanceof MalformedPasswordFile && error.line !== undefined && { line: error.line }) };
    if (this.#snapshot === undefined) {
      this.#logger.error(fields, "unable to load the password file; refusing every login");
    } else if (reason !== this.#lastFailure) {
      this.#logger.warn(fields, "unable to reload the password file; keeping its previous contents");
    }
    this.#lastFailure = reason;
  }
}

/** A value no stored password equals, compared against for unknown users so they cost the same. */
const UNKNOWN_USER_PASSWORD = "\u0000portcullis-unknown-user\u0000";

/**
 * Users and passwords from a text file in Twisted's format. Plaintext files check
 * `username-password` and `username-hashed-password`: any credentials with a string `username`
 * and a `checkPassword(stored)`, whatever their class (Twisted duck-types them too), so cram-md5
 * and pb-md5 answers as well when registered for them. With `hash`, only credentials of kind
 * `username-password` carrying a string `password`. Rejects with `UnauthorizedLogin` (also while
 * the file has never been readable), and with `LoginFailed` when `hash` throws.
 */
export class FilePasswordDB implements Checker {
  readonly credentialKinds: readonly string[];
  readonly #file: PasswordFile;
  readonly #hash: FileHash | undefined;

  constructor(path: string, options: FilePasswordDBOptions = {}) {
    this.#file = new PasswordFile(path, options);
    this.#hash = options.hash;
    this.credentialKinds = this.#hash ? [UsernamePassword.kind] : [UsernamePassword.kind, UsernameHashedPassword.kind];
  }

  get path(): string {
    return this.#file.path;
  }

  /** Reads the file now, so a problem with it is logged at start-up rather than at the first login. Never rejects. */
  load(): Promise<void> {
    return this.#file.load();
  }

  async requestAvatarId(credentials: Credentials): Promise<AvatarId> {
    if (this.#hash) {
      // The stored value is a hash: only a plaintext password may be hashed and compared (a
      // client-side hash must never be taken for the stored one), and checkPassword is never asked.
      if (!isPlaintextPassword(credentials)) throw new UnauthorizedLogin();
      return this.#checkHashed(credentials, this.#hash);
    }
    if (!isPasswordCheckable(credentials)) throw new UnauthorizedLogin();
    const users = await this.#file.users();
    const username = this.#file.canonical(credentials.username);
    const stored = users.get(username);
    // An empty stored password (`user:`) logs nobody in; it was warned about at load.
    const usable = stored !== undefined && stored !== "";
    // Unknown users still pay for a comparison, so timing does not reveal who exists.
    const matches = await passwordMatches(credentials, stored ?? UNKNOWN_USER_PASSWORD);
    if (!usable || !matches) throw new UnauthorizedLogin();
    return username;
  }

  async #checkHashed(credentials: PlaintextPassword, hash: FileHash): Promise<AvatarId> {
    const users = await this.#file.users();
    const username = this.#file.canonical(credentials.username);
    const stored = users.get(username);
    const usable = stored !== undefined && stored !== "";
    // Unknown users (and empty entries) are hashed against some stored entry: same format, so about the same cost.
    const against = (usable ? stored : users.values().next().value) || UNKNOWN_USER_PASSWORD;
    let hashed: string;
    try {
      hashed = await hash(credentials.username, credentials.password, against);
    } catch {
      throw new LoginFailed("the password file's hash function failed");
    }
    if (constantTimeEqual(hashed, against) && usable) return username;
    throw new UnauthorizedLogin();
  }
}
