/** argon2id (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) through @node-rs/argon2, which runs on libuv's thread pool. */
import { hash, parseOptions, verify, type Algorithm, type Options } from "@node-rs/argon2";
import { defaultHashGate, type HashGate } from "./hash-gate.ts";
import { HashAlgorithm, type HasherOptions, type PasswordHasher } from "./hasher.ts";

export interface Argon2idParams {
  /** KiB of memory per hash (`m`). */
  readonly memoryCost: number;
  /** Passes over the memory (`t`). */
  readonly timeCost: number;
  /** Lanes (`p`). */
  readonly parallelism: number;
}

/** OWASP's first recommendation (Password Storage Cheat Sheet): 19 MiB, 2 passes, 1 lane. */
export const ARGON2ID_DEFAULTS: Argon2idParams = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

// The package's enums are ambient `const enum`s, which isolatedModules cannot read: use the values.
const ARGON2ID = 2 as Algorithm;
const V0x13 = 1;
const PATTERN = /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/** An argon2id hasher with `params` (defaults: `ARGON2ID_DEFAULTS`). Rejects nothing at creation. */
export function argon2id(params: Partial<Argon2idParams> = {}, { gate = defaultHashGate }: HasherOptions = {}): PasswordHasher {
  const p = { ...ARGON2ID_DEFAULTS, ...params };
  const options: Options = { algorithm: ARGON2ID, memoryCost: p.memoryCost, timeCost: p.timeCost, parallelism: p.parallelism };
  const recognizes = (stored: string): boolean => {
    if (!PATTERN.test(stored)) return false;
    try {
      parseOptions(stored);
      return true;
    } catch {
      return false;
    }
  };
  return {
    algorithm: HashAlgorithm.argon2id,
    recognizes,
    hash: (password) => gate.run(() => hash(password, options)),
    // The library compares in constant time; the stored hash supplies every parameter.
    verify: (stored, password) =>
      // Only the library's own failure (a hash it cannot read) is a mismatch: the gate's refusal
      // (`LoginFailed`, overloaded) must stay one, or a correct password under load reads as wrong
      // and feeds the rate limiter (outside probe: 46% of correct logins refused).
      recognizes(stored) ? gate.run(() => verify(stored, password).catch(() => false)) : Promise.resolve(false),
    needsRehash(stored) {
      if (!recognizes(stored)) return true;
      const s = parseOptions(stored);
      return (
        (s.algorithm as number) !== (ARGON2ID as number) ||
        (s.version as number) !== V0x13 ||
        s.memoryCost < p.memoryCost ||
        s.timeCost < p.timeCost ||
        s.outputLen < 32 ||
        s.saltLen < 16
      );
    },
  };
}
