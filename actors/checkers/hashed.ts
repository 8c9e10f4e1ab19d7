/** A store of password hashes, each tagged with its algorithm (PHC strings, htpasswd lines), with rehash on login. */
import { randomBytes } from "node:crypto";
import type { Credentials } from "../credentials/credentials.ts";
import { UsernamePassword } from "../credentials/username-password.ts";
import { isPlaintextPassword } from "../credentials/password-shapes.ts";
import { UnauthorizedLogin } from "../errors.ts";
import { argon2id, ARGON2ID_LIMITS } from "../hashing/argon2id.ts";
import { BCRYPT_MAX_COST } from "../hashing/bcrypt.ts";
import { SCRYPT_MAX_MEMORY_BYTES } from "../hashing/scrypt.ts";
import type { PasswordHasher, PasswordVerifier } from "../hashing/hasher.ts";
import { verifierFor } from "../hashing/identify.ts";
import { silentLogger, type Logger } from "../logger.ts";
import type { AvatarId, Checker } from "./checker.ts";
import { costProfile, Decoys } from "./decoys.ts";
import { RefusalPacer } from "./refusal-pacer.ts";
import { MalformedPasswordFile, PasswordFile, type PasswordFileLayout } from "./file-db.ts";

/** Where the hashes come from: `lookup` resolves to a user's stored hash or undefined. */
export interface HashSource {
  lookup(username: string): Promise<string | undefined> | string | undefined;
  /**
   * Every stored hash by user, when the source can list them: unknown users are then verified
   * against hashes of the store's own algorithms and parameters (see `Decoys`).
   */
  all?(): Promise<ReadonlyMap<string, string>> | ReadonlyMap<string, string>;
  /** Reads the store now when it is read lazily (a file): its problems are logged, never thrown. */
  load?(): Promise<void>;
  /** Logs to the checker's logger, when the source was made without one of its own. */
  adoptLogger?(logger: Logger): void;
}

export interface HashedPasswordCheckerOptions {
  /** The configured algorithm and parameters: new hashes, the dummy hash, what counts as weaker. Default `argon2id()`. */
  readonly hasher?: PasswordHasher;
  /**
   * Called after a successful login whose stored hash is of another algorithm or weaker than
   * `hasher`'s parameters, with a fresh hash to store. It runs after the login has been answered;
   * its failures are logged, never reported to the client.
   */
  readonly onRehash?: (username: string, hash: string) => void | Promise<void>;
  readonly logger?: Logger;
}

/** The cost limits of the stored hashes a verify takes (argon2id.ts, scrypt.ts, bcrypt.ts), as an error states them. */
const COST_LIMITS = `argon2id ${ARGON2ID_LIMITS.memoryCost / 1_048_576} GiB, scrypt ${SCRYPT_MAX_MEMORY_BYTES / 2 ** 30} GiB, bcrypt cost ${BCRYPT_MAX_COST}`;

/** A file of `user:hash` lines (PHC strings or htpasswd hashes), reloaded as `FilePasswordDB` is. */
export function hashFile(path: string, layout: PasswordFileLayout = {}): HashSource {
  // A line whose hash no algorithm recognises refuses the whole file: a truncated rewrite must
  // not replace good contents (the previous ones are kept) and a typo must not go unnoticed.
  const file = new PasswordFile(path, { cache: true, ...layout }, (stored, line) => {
    if (verifierFor(stored) !== undefined) return;
    // A known algorithm's tag: cut short, or asking for more than a verify may cost.
    if (/^\$(argon2id|scrypt|2[aby])\$/.test(stored)) {
      throw new MalformedPasswordFile(`line ${line}: unrecognised hash (cut short, or its cost beyond the limits: ${COST_LIMITS}; docs/checkers.md)`, line);
    }
    // Plaintext passwords (Twisted's `file` format) end up here: say so, by line number only.
    throw new MalformedPasswordFile(`line ${line}: unrecognised hash format (plaintext passwords belong to the file auth type; make hashes with 'portcullis hash')`, line);
  });
  return { lookup: (username) => file.lookup(username), all: () => file.users(), load: () => file.load(), adoptLogger: (logger) => file.adoptLogger(logger) };
}

/** A fixed or live map of usernames to hashes; later changes to a `Map` are seen. */
export function hashMap(users: ReadonlyMap<string, string> | Record<string, string>): HashSource {
  const map = users instanceof Map ? users : new Map(Object.entries(users));
  return { lookup: (username) => map.get(username), all: () => map };
}

/**
 * Checks `username-password` credentials against stored hashes, verifying off the event loop in
 * constant time. Unknown users, and users whose hash is unrecognisable, are verified against a
 * stored hash of the store's own (`Decoys`; a dummy hash of the configured algorithm when the
 * source cannot list its hashes) so they cost what a wrong password costs. Rejects with
 * `UnauthorizedLogin`.
 */
export class HashedPasswordChecker implements Checker {
  readonly credentialKinds: readonly string[] = [UsernamePassword.kind];
  readonly #source: HashSource;
  readonly #hasher: PasswordHasher;
  readonly #onRehash: HashedPasswordCheckerOptions["onRehash"];
  readonly #logger: Logger;
  #dummy: Promise<string> | undefined;
  readonly #pacer = new RefusalPacer();
  #warmingUp: Promise<void> = Promise.resolve();
  /** The decoys of the store as last listed (made again when the listing changes). */
  #decoys: { users: ReadonlyMap<string, string>; size: number; decoys: Decoys } | undefined;

  constructor(source: HashSource | ReadonlyMap<string, string> | Record<string, string>, options: HashedPasswordCheckerOptions = {}) {
    this.#source = isSource(source) ? source : hashMap(source);
    this.#hasher = options.hasher ?? argon2id();
    this.#onRehash = options.onRehash;
    this.#logger = (options.logger ?? silentLogger).child({ checker: "hashed" });
    if (options.logger) this.#source.adoptLogger?.(options.logger);
  }

  /** Reads a file source now, so a bad file is logged at start-up rather than at the first login. Never rejects. */
  async load(): Promise<void> {
    await this.#source.load?.();
  }

  /** The configured hasher. */
  get hasher(): PasswordHasher {
    return this.#hasher;
  }

  async requestAvatarId(credentials: Credentials): Promise<AvatarId> {
    // By shape, as Twisted's checkers: any credentials of kind username-password carrying the password.
    if (!isPlaintextPassword(credentials)) throw new UnauthorizedLogin();
    const started = performance.now();
    const { username, password } = credentials;
    const stored = await this.#source.lookup(username);
    // Every check lists the store before it verifies, known user or not, so both refusals put the
    // same work on the thread pool ahead of the hash: which pool thread runs an argon2id verify
    // changes its time by ~2 ms here (10.4 vs 8.4 ms after an even or an odd number of file stats),
    // and an outside probe told unknown users from wrong passwords by ~1.5 ms through `serve` when
    // only the unknown user's path listed the store first.
    const decoys = await this.#currentDecoys();
    const verifier = stored === undefined ? undefined : this.#verifierOf(stored);
    if (stored !== undefined && verifier === undefined) this.#logger.error({ username }, "stored hash has an unrecognised format");
    if (stored === undefined || verifier === undefined) {
      const decoy = decoys?.pick(username);
      // Through the same verifier and gate as a known user's hash of that algorithm.
      const decoyVerifier = decoy === undefined ? undefined : this.#verifierOf(decoy);
      // Verified only for its cost: a match on another user's hash logs nobody in.
      if (decoy !== undefined && decoyVerifier !== undefined) await this.#verify(decoyVerifier, decoy, password);
      else await this.#verify(this.#hasher, await this.#dummyHash(), password);
      return this.#refuse(started, decoys);
    }
    if (!(await this.#verify(verifier, stored, password))) return this.#refuse(started, decoys);
    if (this.#onRehash && this.#hasher.needsRehash(stored)) void this.#rehash(username, password, verifier.algorithm);
    return username;
  }

  async #verify(verifier: PasswordVerifier, stored: string, password: string): Promise<boolean> {
    const started = performance.now();
    const ok = await verifier.verify(stored, password);
    this.#pacer.record(costProfile(stored), performance.now() - started);
    return ok;
  }

  /** The configured hasher for hashes of its own algorithm, so its gate (HasherOptions) applies to logins too; else by the hash's tag. */
  #verifierOf(stored: string): PasswordVerifier | undefined {
    return this.#hasher.recognizes(stored) ? this.#hasher : verifierFor(stored);
  }

  /** Refuses no sooner than the store's slowest verification would have (`RefusalPacer`); `decoys`: the store's as listed for this check. */
  async #refuse(started: number, decoys: Decoys | undefined): Promise<never> {
    const profiles = decoys?.profiles();
    // A store of one algorithm and cost needs no holding: its decoys cost what its users cost.
    if (profiles === undefined || profiles.length > 1) {
      await this.#warmingUp;
      await this.#pacer.pace(started, profiles);
    }
    throw new UnauthorizedLogin();
  }

  /** The decoys of the store as listed now (undefined when the source cannot list its hashes). */
  async #currentDecoys(): Promise<Decoys | undefined> {
    if (this.#source.all === undefined) return undefined;
    const users = await this.#source.all();
    const known = this.#decoys;
    // A reloaded file is a new map; a live Map that changed has (almost always) a new size.
    if (known?.users === users && known.size === users.size) return known.decoys;
    const decoys = Decoys.of(users);
    this.#decoys = { users, size: users.size, decoys };
    // Each profile's cost is measured once before a refusal has to be paced on it.
    this.#warmingUp = Promise.all(
      decoys.representatives().map(({ stored }) => this.#verify(verifierFor(stored)!, stored, randomBytes(12).toString("base64")).catch(() => false)),
    ).then(() => undefined);
    return decoys;
  }

  #dummyHash(): Promise<string> {
    // Made once, lazily, with the configured parameters; a failure is retried next time.
    return (this.#dummy ??= this.#hasher.hash(randomBytes(18).toString("base64")).catch((error: unknown) => {
      this.#dummy = undefined;
      throw error;
    }));
  }

  async #rehash(username: string, password: string, from: string): Promise<void> {
    try {
      await this.#onRehash!(username, await this.#hasher.hash(password));
      this.#logger.info({ username, from, to: this.#hasher.algorithm }, "password rehashed");
    } catch (error) {
      this.#logger.error({ username, err: String(error) }, "rehash on login failed");
    }
  }
}

function isSource(value: unknown): value is HashSource {
  return typeof (value as HashSource).lookup === "function" && !(value instanceof Map);
}
