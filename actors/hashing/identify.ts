/** Finds the verifier for a stored hash from the algorithm tag it carries. */
import { argon2id } from "./argon2id.ts";
import { apr1 } from "./apr1.ts";
import { bcrypt } from "./bcrypt.ts";
import type { PasswordVerifier } from "./hasher.ts";
import { scrypt } from "./scrypt.ts";
import { sha1 } from "./sha1.ts";

// Verification reads every parameter from the stored hash, so default-configured instances do.
const VERIFIERS: readonly PasswordVerifier[] = [argon2id(), scrypt(), bcrypt(), apr1, sha1];

/** The verifier for `stored`, or undefined when no known algorithm recognises it. */
export function verifierFor(stored: string): PasswordVerifier | undefined {
  return VERIFIERS.find((v) => v.recognizes(stored));
}
