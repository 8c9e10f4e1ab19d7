/** A store of password hashes, each tagged with its algorithm (PHC strings, htpasswd lines), with rehash on login. */
import { randomBytes } from "node:crypto";
import type { Credentials } from "../credentials/credentials.ts";
import { UsernamePassword } from "../credentials/username-password.ts";
import { UnauthorizedLogin } from "../errors.ts";
import { argon2id } from "../hashing/argon2id.ts";
import type { PasswordHasher } from "../hashing/hasher.ts";
import { verifierFor } from "../hashing/identify.ts";
import { silentLogger, type Logger } from "../logger.ts";
import type { AvatarId, Checker } from "./checker.ts";
import { MalformedPasswordFile, PasswordFile, type PasswordFileLayout } from "./file-db.ts";

/** Where the hashes come from: `lookup` resolves to a user's stored hash or undefined. */
export interface HashSource {
  lookup(username: string): Promise<string | undefined> | string | undefined;
  /**
   * Every stored hash by user, when the source can list them: unknown users are then verified
   * against a hash of the store's most common algorithm and parameters (see `decoyFor`).
   */
  all?(): Promise<ReadonlyMap<string, string>> | ReadonlyMap<string, string>;
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

/** A file of `user:hash` lines (PHC strings or htpasswd hashes), reloaded as `FilePasswordDB` is. */
export function hashFile(path: string, layout: PasswordFileLayout = {}): HashSource {
  // A line whose hash no algorithm recognises refuses the whole file: a truncated rewrite must
  // not replace good contents (the previous ones are kept) and a typo must not go unnoticed.
  const file = new PasswordFile(path, { cache: true, ...layout }, (stored, line) => {
    if (verifierFor(stored) === undefined) throw new MalformedPasswordFile(`line ${line}: unrecognised hash format`);
  });
  return { lookup: (username) => file.lookup(username), all: () => file.users() };
}

/** A fixed or live map of usernames to hashes; later changes to a `Map` are seen. */
export function hashMap(users: ReadonlyMap<string, string> | Record<string, string>): HashSource {
  const map = users instanceof Map ? users : new Map(Object.entries(users));
  return { lookup: (username) => map.get(username), all: () => map };
}

/**
 * What an unknown user's password is verified against: a stored hash of the store's most common
 * algorithm and parameters, so a refusal costs what a wrong password costs for most users even
 * when their hashes are not the configured algorithm's (an htpasswd file of bcrypt lines, scrypt
 * lines from a migration). Its result is ignored. Undefined for an empty store.
 */
export function decoyFor(users: ReadonlyMap<string, string>): string | undefined {
  const counts = new Map<string, { stored: string; count: number }>();
  for (const stored of users.values()) {
    if (verifierFor(stored) === undefined) continue;
    const profile = costProfile(stored);
    const seen = counts.get(profile);
    if (seen) seen.count++;
    else counts.set(profile, { stored, count: 1 });
  }
  let best: { stored: string; count: number } | undefined;
  for (const candidate of counts.values()) if (best === undefined || candidate.count > best.count) best = candidate;
  return best?.stored;
}

/** A hash without its salt and digest: algorithm and cost parameters (`$scrypt$ln=17,r=8,p=1`, `$2b$12`). */
function costProfile(stored: string): string {
  if (/^\$2[abxy]\$/.test(stored)) return stored.slice(0, 6);
  if (!stored.startsWith("$")) return stored.replace(/^(\{[A-Z0-9-]+\}).*$/, "$1");
  return stored.split("$").slice(0, -2).join("$");
}

/**
 * Checks `username-password` credentials against stored hashes, verifying off the event loop in
 * constant time. Unknown users, and users whose hash is unrecognisable, are verified against a
 * stored hash of the store's most common algorithm and parameters (`decoyFor`; a dummy hash of the
 * configured algorithm when the source cannot list its hashes) so they cost what a wrong password
 * costs. Rejects with `UnauthorizedLogin`.
 */
export class HashedPasswordChecker implements Checker {
  readonly credentialKinds: readonly string[] = [UsernamePassword.kind];
  readonly #source: HashSource;
  readonly #hasher: PasswordHasher;
  readonly #onRehash: HashedPasswordCheckerOptions["onRehash"];
  readonly #logger: Logger;
  #dummy: Promise<string> | undefined;
  /** The decoy of the store as last listed (recomputed when the listing changes). */
  #decoy: { users: ReadonlyMap<string, string>; size: number; stored: string | undefined } | undefined;

  constructor(source: HashSource | ReadonlyMap<string, string> | Record<string, string>, options: HashedPasswordCheckerOptions = {}) {
    this.#source = isSource(source) ? source : hashMap(source);
    this.#hasher = options.hasher ?? argon2id();
    this.#onRehash = options.onRehash;
    this.#logger = (options.logger ?? silentLogger).child({ checker: "hashed" });
  }

  /** The configured hasher. */
  get hasher(): PasswordHasher {
    return this.#hasher;
  }

  async requestAvatarId(credentials: Credentials): Promise<AvatarId> {
    if (!(credentials instanceof UsernamePassword)) throw new UnauthorizedLogin();
    const { username, password } = credentials;
    const stored = await this.#source.lookup(username);
    const verifier = stored === undefined ? undefined : verifierFor(stored);
    if (stored !== undefined && verifier === undefined) this.#logger.error({ username }, "stored hash has an unrecognised format");
    if (stored === undefined || verifier === undefined) {
      const decoy = await this.#decoyHash();
      const decoyVerifier = decoy === undefined ? undefined : verifierFor(decoy);
      // Verified only for its cost: a match on another user's hash logs nobody in.
      if (decoy !== undefined && decoyVerifier !== undefined) await decoyVerifier.verify(decoy, password);
      else await this.#hasher.verify(await this.#dummyHash(), password);
      throw new UnauthorizedLogin();
    }
    if (!(await verifier.verify(stored, password))) throw new UnauthorizedLogin();
    if (this.#onRehash && this.#hasher.needsRehash(stored)) void this.#rehash(username, password, verifier.algorithm);
    return username;
  }

  async #decoyHash(): Promise<string | undefined> {
    if (this.#source.all === undefined) return undefined;
    const users = await this.#source.all();
    const known = this.#decoy;
    if (known?.users === users && known.size === users.size) return known.stored;
    this.#decoy = { users, size: users.size, stored: decoyFor(users) };
    return this.#decoy.stored;
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
