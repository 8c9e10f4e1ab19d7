/** What a password hash algorithm offers: recognising, verifying and (for current algorithms) making hashes. */
import type { HashGate } from "./hash-gate.ts";

/** The algorithms a stored hash can be tagged with, a closed set. */
export const HashAlgorithm = {
  argon2id: "argon2id",
  scrypt: "scrypt",
  bcrypt: "bcrypt",
  /** Apache's MD5-crypt variant (`$apr1$`): read for migration only. */
  apr1: "apr1",
  /** Apache's unsalted `{SHA}`: read for migration only. */
  sha1: "sha1",
} as const;
export type HashAlgorithm = (typeof HashAlgorithm)[keyof typeof HashAlgorithm];

/** Checks passwords against stored hashes of one algorithm; the parameters come from each hash. */
export interface PasswordVerifier {
  readonly algorithm: HashAlgorithm;
  /** True when `stored` is a well-formed hash of this algorithm. */
  recognizes(stored: string): boolean;
  /**
   * True when `password` matches `stored`, compared in constant time and computed off the event
   * loop when the algorithm is slow. Resolves to false for a malformed hash; never rejects for one.
   */
  verify(stored: string, password: string): Promise<boolean>;
}

/** How a built-in hasher runs. */
export interface HasherOptions {
  /** Limits how many slow hashes run at once; default: the process-wide `defaultHashGate` (all but one of libuv's pool threads). */
  readonly gate?: HashGate;
}

/** A verifier that also makes new hashes with its configured parameters. */
export interface PasswordHasher extends PasswordVerifier {
  /** A fresh hash of `password` (random salt), computed off the event loop. */
  hash(password: string): Promise<string>;
  /** True when `stored` is not this algorithm, or its parameters are weaker than the configured ones. */
  needsRehash(stored: string): boolean;
}
