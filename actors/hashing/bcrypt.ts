/** bcrypt (`$2a$`, `$2b$`, `$2y$`) through @node-rs/bcrypt, which runs on libuv's thread pool. */
import { hash, verify } from "@node-rs/bcrypt";
import { defaultHashGate } from "./hash-gate.ts";
import { HashAlgorithm, type HasherOptions, type PasswordHasher } from "./hasher.ts";

export interface BcryptParams {
  /** log2 of the rounds. */
  readonly cost: number;
}

/** Cost 12 (the library's default; OWASP's floor is 10). */
export const BCRYPT_DEFAULTS: BcryptParams = { cost: 12 };

/**
 * Costs 4 to 16. bcrypt allows 31, but a stored hash names its own cost: an outside probe's
 * `$2b$31$` line (about 11 hours a verify) kept a core busy for good, set off by an unknown
 * user's login too (the store's decoy), and held the process's exit. 16 is about 4 s here.
 */
export const BCRYPT_MAX_COST = 16;
const PATTERN = /^\$2[aby]\$(0[4-9]|1[0-6])\$[./A-Za-z0-9]{53}$/;

/**
 * A bcrypt hasher with `params` (defaults: `BCRYPT_DEFAULTS`). bcrypt reads only the first 72
 * bytes of a password: longer ones are truncated, as every bcrypt does.
 */
export function bcrypt(params: Partial<BcryptParams> = {}, { gate = defaultHashGate }: HasherOptions = {}): PasswordHasher {
  const { cost } = { ...BCRYPT_DEFAULTS, ...params };
  if (cost > BCRYPT_MAX_COST) throw new RangeError(`bcrypt cost beyond the limit (≤ ${BCRYPT_MAX_COST})`);
  const recognizes = (stored: string) => PATTERN.test(stored);
  return {
    algorithm: HashAlgorithm.bcrypt,
    recognizes,
    // $2y$ (what the library writes) and $2b$ are the same algorithm; $2b$ is the portable tag.
    hash: async (password) => `$2b$${(await gate.run(() => hash(password, cost))).slice(4)}`,
    // The library compares in constant time; the stored hash supplies cost and salt.
    verify: (stored, password) =>
      // The library's failure is a mismatch; the gate's overload refusal stays `LoginFailed`.
      recognizes(stored) ? gate.run(() => verify(password, stored).catch(() => false)) : Promise.resolve(false),
    needsRehash: (stored) => !recognizes(stored) || Number(stored.slice(4, 6)) < cost,
  };
}
