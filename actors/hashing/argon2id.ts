/** argon2id (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) through @node-rs/argon2, which runs on libuv's thread pool. */
import { hash, parseOptions, verify, type Algorithm, type Options } from "@node-rs/argon2";
import { defaultHashGate, type HashGate } from "./hash-gate.ts";
import { HashAlgorithm, type HasherOptions, type PasswordHasher } from "./hasher.ts";
import { fromB64 } from "./phc.ts";

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
const PATTERN = /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
/**
 * The tag lengths a stored hash may have: 32 bytes is what every common implementation writes
 * by default (this one, argon2-cffi, libsodium, PHP), 16 and 64 the other lengths in use. Any
 * other is taken for a hash cut short: a tag cut at a multiple of four characters is still
 * well-formed base64, and a file written half-way was loaded with its last user locked out (an
 * outside probe, 12 of 88 places to cut).
 */
const TAG_BYTES = new Set([16, 32, 64]);
/**
 * The most a stored hash may ask for: libsodium's "sensitive" level (1 GiB, 4 passes) in memory
 * and in memory × passes, and 64 lanes. A stored hash names its own cost, and one line of
 * `m=4294967295` made a verify allocate until the kernel killed the process (an outside probe;
 * an unknown user's login set it off too, as the store's decoy). Beyond these it is not taken for
 * an argon2id hash: the user is refused, and the checker logs the line as unrecognised.
 */
export const ARGON2ID_LIMITS = { memoryCost: 1_048_576, memoryTimesTime: 4 * 1_048_576, parallelism: 64 } as const;

/**
 * An argon2id hasher with `params` (defaults: `ARGON2ID_DEFAULTS`). A `RangeError` for parameters
 * beyond `ARGON2ID_LIMITS`, whose hashes it would not recognise; the library checks the rest.
 */
export function argon2id(params: Partial<Argon2idParams> = {}, { gate = defaultHashGate }: HasherOptions = {}): PasswordHasher {
  const p = { ...ARGON2ID_DEFAULTS, ...params };
  if (p.memoryCost > ARGON2ID_LIMITS.memoryCost || p.memoryCost * p.timeCost > ARGON2ID_LIMITS.memoryTimesTime || p.parallelism > ARGON2ID_LIMITS.parallelism) {
    throw new RangeError(`argon2id parameters beyond the limits (memoryCost ≤ ${ARGON2ID_LIMITS.memoryCost} KiB, memoryCost × timeCost ≤ ${ARGON2ID_LIMITS.memoryTimesTime}, parallelism ≤ ${ARGON2ID_LIMITS.parallelism})`);
  }
  const options: Options = { algorithm: ARGON2ID, memoryCost: p.memoryCost, timeCost: p.timeCost, parallelism: p.parallelism };
  const recognizes = (stored: string): boolean => {
    const match = PATTERN.exec(stored);
    if (!match) return false;
    // Canonical unpadded base64 (phc.ts): a cut at any other place leaves a last character with bits to spare.
    const salt = fromB64(match[1]!);
    const tag = fromB64(match[2]!);
    if (salt === undefined || salt.length < 8 || tag === undefined || !TAG_BYTES.has(tag.length)) return false;
    try {
      const { memoryCost = 0, timeCost = 0, parallelism = 0 } = parseOptions(stored);
      return (
        memoryCost <= ARGON2ID_LIMITS.memoryCost &&
        memoryCost * timeCost <= ARGON2ID_LIMITS.memoryTimesTime &&
        parallelism <= ARGON2ID_LIMITS.parallelism
      );
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
      // Never for a hash that the configured parameters would weaken in either cost: m=65536,t=1
      // (stronger in memory, OWASP's equal of the default) was rehashed down to m=19456 for its
      // one pass (an outside probe).
      if (s.memoryCost > p.memoryCost || s.timeCost > p.timeCost) return false;
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
