/** Twisted's `FilePasswordDB`: a delimited text file of users and passwords, reloaded when it changes. */
import { open, type FileHandle } from "node:fs/promises";
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
  /**
   * When true the password field runs to the end of the line, delimiters and all (a stored secret
   * that holds the delimiter: RFC 5803's SCRAM keys); default false, as Twisted.
   */
  readonly passwordToEnd?: boolean;
  /** When false, names are looked up, and come back, lower-cased; default true. */
  readonly caseSensitive?: boolean;
  /**
   * When true the file is re-read only when its size, times or inode change; when false (the
   * default, as Twisted) it is re-read on every lookup.
   */
  readonly cache?: boolean;
  /**
   * A file changed in place is read only once it has not been written for this long (its size
   * and mtime unchanged), so a writer that truncates it and writes it back in pieces is never
   * seen half-way; until then the previous contents stay in use. A file renamed into place (a
   * new inode) is read at once. Default 250 ms.
   */
  readonly settleMs?: number;
  /**
   * How long a file changed in place must be left alone when its last line has no newline
   * while the previous contents ended with one: it is taken for a write stopped mid-line.
   * Default 5000 ms (never less than `settleMs`).
   */
  readonly unterminatedSettleMs?: number;
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
  /** Whether the file ended with a newline. */
  readonly terminated: boolean;
}

/** The default `settleMs`: longer than the pauses of a writer writing in pieces, short enough to go unnoticed. */
export const DEFAULT_SETTLE_MS = 250;
/** The default `unterminatedSettleMs`. */
export const DEFAULT_UNTERMINATED_SETTLE_MS = 5_000;

const NEWLINE = 0x0a;

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * The parsed contents of a password file, swapped in whole: a reload parses the new file fully
 * first, and a file that is missing, unreadable, empty (mid-rewrite) or malformed keeps the
 * previous contents, as does a file changed in place that has not settled yet (`settleMs`).
 * Only with no good contents yet does `lookup` reject with `UnauthorizedLogin`.
 */
export class PasswordFile {
  readonly #delim: string;
  readonly #ufield: number;
  readonly #pfield: number;
  readonly #toEnd: boolean;
  readonly #caseSensitive: boolean;
  readonly #cache: boolean;
  #logger: Logger;
  /** Whether `#logger` was given (else silent until `adoptLogger`). */
  readonly #hasLogger: boolean;
  readonly #settleMs: number;
  readonly #unterminatedSettleMs: number;
  readonly #firstReadSettleMs: number;
  #snapshot: Snapshot | undefined;
  #loading: Promise<void> | undefined;
  #lastFailure = "";
  /**
   * The file last seen at the path (inode and birth time): another one is a file renamed into
   * place. The inode alone is not enough: ext4 hands a freed inode number to the next new file, so
   * two renames in a row (two `sed -i`) brought back the number last read, and the new file was
   * taken for an edit in place and held back for `settleMs` (an outside probe: 6 of 6).
   */
  #seenFile: string | undefined;
  /** A change not read yet because it has not settled: its signature and when it was first seen. */
  #pending: { signature: string; since: number } | undefined;

  constructor(
    readonly path: string,
    layout: PasswordFileLayout = {},
    private readonly validate: (stored: string, line: number) => void = () => undefined,
  ) {
    this.#delim = layout.delim ?? ":";
    this.#ufield = layout.usernameField ?? 0;
    this.#pfield = layout.passwordField ?? 1;
    this.#toEnd = layout.passwordToEnd ?? false;
    this.#caseSensitive = layout.caseSensitive ?? true;
    this.#cache = layout.cache ?? false;
    this.#logger = (layout.logger ?? silentLogger).child({ passwordFile: path });
    this.#hasLogger = layout.logger !== undefined;
    this.#settleMs = Math.max(0, layout.settleMs ?? DEFAULT_SETTLE_MS);
    this.#unterminatedSettleMs = Math.max(this.#settleMs, layout.unterminatedSettleMs ?? DEFAULT_UNTERMINATED_SETTLE_MS);
    // No previous contents to serve meanwhile: a first read waits no longer than the default settle.
    this.#firstReadSettleMs = Math.min(this.#settleMs, DEFAULT_SETTLE_MS);
  }

  /**
   * Logs to `logger` from now on, when this file was made without one: a checker given a logger
   * passes it on, so `new HashedPasswordChecker(hashFile(path), { logger })` logs a bad file
   * (an outside newcomer's plaintext file refused every login without a word).
   */
  adoptLogger(logger: Logger): void {
    if (!this.#hasLogger) this.#logger = logger.child({ passwordFile: this.path });
  }

  /** The name as the file stores it (lower-cased when case-insensitive). */
  canonical(username: string): string {
    return this.#caseSensitive ? username : username.toLowerCase();
  }

  /** Reads the file if it changed (always, without `cache`); problems are logged, never thrown. */
  async load(): Promise<void> {
    // One read at a time: concurrent lookups share it.
    await (this.#loading ??= this.#loadOnce().finally(() => (this.#loading = undefined)));
  }

  /**
   * A reload. Before the first good read there are no previous contents to keep, so a file written
   * within `settleMs` (at most the default) is looked at again every fifth of that until it has
   * settled, for up to 5 s (`unterminatedSettleMs`, at most its default), then read as it is:
   * outside probes' first lookups during an in-place rewrite refused a valid user in 30 of 30 trials.
   */
  async #loadOnce(): Promise<void> {
    const deadline = Date.now() + Math.min(this.#unterminatedSettleMs, DEFAULT_UNTERMINATED_SETTLE_MS);
    for (;;) {
      const late = Date.now() >= deadline;
      // Past the deadline, a file that never settles is read as it is.
      if (!(await this.#reload(late)) || late) return;
      await new Promise((resolve) => setTimeout(resolve, Math.max(10, Math.min(this.#firstReadSettleMs / 5, deadline - Date.now()))));
    }
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

  /**
   * Reads the file if it changed; true when there are no contents yet and the file is being
   * written (worth reading again). `asItIs`: a first read takes the file whether settled or not.
   */
  async #reload(asItIs = false): Promise<boolean> {
    let handle;
    let latest: { readonly signature: string; readonly mtimeNs: bigint } | undefined;
    try {
      handle = await open(this.path, "r");
      const before = await handle.stat({ bigint: true });
      const signature = `${before.ino}:${before.size}:${before.mtimeNs}:${before.ctimeNs}`;
      latest = { signature, mtimeNs: before.mtimeNs };
      // A file at the path that was not there at the last look was renamed into place (or made
      // anew): written whole, so read at once. A change in place may be a rewrite under way.
      // Birth time is 0 where the file system keeps none: the inode alone then, as before.
      const file = `${before.ino}:${before.birthtimeNs}`;
      const inPlace = this.#seenFile === file;
      this.#seenFile = file;
      const previous = this.#snapshot;
      if (this.#cache && previous?.signature === signature) return false;
      // A first read waits for a file written within settleMs to settle, as a reload does: read
      // part-way through an in-place rewrite, a well-formed first half was taken for the whole
      // file and the users of the other half refused (an outside probe: 30 of 30 trials).
      if (previous === undefined && !asItIs && !this.#settled(signature, before.mtimeNs, this.#firstReadSettleMs)) return true;
      const changedInPlace = previous !== undefined && previous.signature !== signature && inPlace;
      if (changedInPlace && !this.#settled(signature, before.mtimeNs, this.#settleMs)) return false;
      if (changedInPlace && previous.terminated && before.size > 0n && !(await endsWithNewline(handle, before.size))) {
        // A last line without its newline, where the previous contents had one: a write stopped mid-line.
        if (!this.#settled(signature, before.mtimeNs, this.#unterminatedSettleMs)) return false;
      }
      const bytes = await handle.readFile();
      const after = await handle.stat({ bigint: true });
      if (after.size !== before.size || after.mtimeNs !== before.mtimeNs) {
        latest = { signature: `${after.ino}:${after.size}:${after.mtimeNs}:${after.ctimeNs}`, mtimeNs: after.mtimeNs };
        throw new MalformedPasswordFile("changed while being read");
      }
      if (bytes.length === 0) throw new MalformedPasswordFile("empty (taken as being rewritten)");
      const { users, warnings } = this.#parse(decoder.decode(bytes));
      // Without `cache` the same file is parsed at every lookup: warn once per version of it.
      if (previous?.signature !== signature) for (const [line, message] of warnings) this.#logger.warn({ line }, message);
      this.#snapshot = { users, signature, terminated: bytes[bytes.length - 1] === NEWLINE };
      this.#pending = undefined;
      this.#lastFailure = "";
      return false;
    } catch (error) {
      const beingWritten =
        !asItIs && this.#snapshot === undefined && error instanceof MalformedPasswordFile && latest !== undefined && !this.#settled(latest.signature, latest.mtimeNs, this.#firstReadSettleMs);
      if (!beingWritten) this.#failed(error);
      return beingWritten;
    } finally {
      await handle?.close();
    }
  }

  /**
   * Whether the file of `signature` has been left alone for `ms`: its mtime is that old, or (an
   * mtime ahead of this host's clock) it has been seen unchanged for that long. Until then the
   * previous contents stay in use.
   */
  #settled(signature: string, mtimeNs: bigint, ms: number): boolean {
    const now = Date.now();
    // One-second timestamps (a whole-second mtime) may be up to a second behind the write.
    const lastWrite = Number(mtimeNs / 1_000_000n) + (mtimeNs % 1_000_000_000n === 0n ? 1_000 : 0);
    if (now - lastWrite >= ms) return true;
    if (this.#pending?.signature !== signature) {
      this.#pending = { signature, since: now };
      const waiting = this.#snapshot === undefined ? "reading it again once it settles" : "keeping its previous contents until it settles";
      this.#logger.debug({ settleMs: ms }, `the password file is changing; ${waiting}`);
    }
    return now - this.#pending.since >= ms;
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
      const stored = this.#toEnd ? parts.slice(this.#pfield).join(this.#delim) : parts[this.#pfield]!;
      this.validate(stored, line);
      // Parsed as Twisted does (`a:b:c` stores `b`), but a password holding the delimiter is cut short.
      if (parts.length > fields && !this.#toEnd) warnings.push([line, `more fields than expected (${fields}); extra fields ignored, a password containing the delimiter is cut short`]);
      // `user:` would otherwise accept an empty password; the checker refuses it.
      if (stored === "") warnings.push([line, "empty password; this user cannot log in"]);
      // The first entry wins (Twisted without cache, and Apache): see docs/checkers.md.
      if (users.has(username)) warnings.push([line, "duplicate user ignored; the first entry wins"]);
      else users.set(username, stored);
    }
    return { users, warnings };
  }

  #failed(error: unknown): void {
    const reason = describe(error);
    const fields = { err: reason, ...(error instanceof MalformedPasswordFile && error.line !== undefined && { line: error.line }) };
    // Once per cause, not once per login: a bad file under load wrote an error line for every
    // attempt (a re-check probe saw each load logged twice).
    if (reason === this.#lastFailure) return;
    if (this.#snapshot === undefined) {
      this.#logger.error(fields, "unable to load the password file; refusing every login");
    } else {
      this.#logger.warn(fields, "unable to reload the password file; keeping its previous contents");
    }
    this.#lastFailure = reason;
  }
}

/** `CODE: message`, the code once: Node's own messages already start with it (`ENOENT: no such file…`). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code ?? error.name;
  return error.message.startsWith(`${code}:`) ? error.message : `${code}: ${error.message}`;
}

/** Whether the file's last byte is a newline. */
async function endsWithNewline(handle: FileHandle, size: bigint): Promise<boolean> {
  const last = Buffer.alloc(1);
  const { bytesRead } = await handle.read(last, 0, 1, Number(size - 1n));
  return bytesRead === 1 && last[0] === NEWLINE;
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
  readonly #logger: Logger;

  constructor(path: string, options: FilePasswordDBOptions = {}) {
    this.#file = new PasswordFile(path, options);
    this.#hash = options.hash;
    this.#logger = (options.logger ?? silentLogger).child({ passwordFile: path });
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
    } catch (error) {
      // Its class, never its message: that may quote the password it was hashing.
      this.#logger.error({ error: error instanceof Error ? error.name : typeof error }, "the password file's hash function failed");
      throw new LoginFailed("the password file's hash function failed");
    }
    if (constantTimeEqual(hashed, against) && usable) return username;
    throw new UnauthorizedLogin();
  }
}
