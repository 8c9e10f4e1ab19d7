/** scrypt in the PHC format (`$scrypt$ln=…,r=…,p=…$salt$hash`, as passlib writes it) through node:crypto's async scrypt. */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { defaultHashGate } from "./hash-gate.ts";
import { HashAlgorithm, type HasherOptions, type PasswordHasher } from "./hasher.ts";
import { fromB64, parseParams, toB64 } from "./phc.ts";

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  readonly ln: number;
  /** Block size. */
  readonly r: number;
  /** Parallelisation. */
  readonly p: number;
}

/** OWASP's first recommendation: N = 2^17 (128 MiB), r = 8, p = 1. */
export const SCRYPT_DEFAULTS: ScryptParams = { ln: 17, r: 8, p: 1 };

const KEY_LENGTH = 32;
// A hash file is configuration, but a typo must not make one login allocate gigabytes: at most
// 1 GiB (128 · N · r bytes; N = 2^20 at r = 8), and p up to 16 (each lane recomputes it all).
const MAX_LN = 20;
export const SCRYPT_MAX_MEMORY_BYTES = 2 ** 30;
const MAX_MEMORY_BYTES = SCRYPT_MAX_MEMORY_BYTES;
const MAX_P = 16;
// And at most 4 GiB of work (128 · N · r · p), as argon2id's m × t: ln=20, r=8 at p ≤ 4.
const MAX_WORK_BYTES = 2 ** 32;

interface Parsed extends ScryptParams {
  readonly salt: Buffer;
  readonly key: Buffer;
}

function parse(stored: string): Parsed | undefined {
  const parts = stored.split("$");
  if (parts.length !== 5 || parts[0] !== "" || parts[1] !== "scrypt") return undefined;
  const params = parseParams(parts[2]!);
  const salt = fromB64(parts[3]!);
  const key = fromB64(parts[4]!);
  if (!params || !salt || !key || params.size !== 3) return undefined;
  const ln = params.get("ln");
  const r = params.get("r");
  const p = params.get("p");
  if (ln === undefined || r === undefined || p === undefined) return undefined;
  if (ln < 1 || ln > MAX_LN || r < 1 || p < 1 || p > MAX_P || 128 * 2 ** ln * r > MAX_MEMORY_BYTES || 128 * 2 ** ln * r * p > MAX_WORK_BYTES || salt.length < 1 || key.length < 16) return undefined;
  return { ln, r, p, salt, key };
}

// Never scryptSync: the async form runs on libuv's thread pool, keeping the event loop free.
function derive(password: string, salt: Buffer, length: number, { ln, r, p }: ScryptParams): Promise<Buffer> {
  const N = 2 ** ln;
  const options: ScryptOptions = { N, r, p, maxmem: 128 * N * r + 128 * r * p + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scryptCallback(password, salt, length, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** A scrypt hasher with `params` (defaults: `SCRYPT_DEFAULTS`); a `RangeError` for parameters beyond the limits its verify keeps to. */
export function scrypt(params: Partial<ScryptParams> = {}, { gate = defaultHashGate }: HasherOptions = {}): PasswordHasher {
  const configured = { ...SCRYPT_DEFAULTS, ...params };
  const memory = 128 * 2 ** configured.ln * configured.r;
  if (configured.ln > MAX_LN || configured.p > MAX_P || memory > MAX_MEMORY_BYTES || memory * configured.p > MAX_WORK_BYTES) {
    throw new RangeError(`scrypt parameters beyond the limits (ln ≤ ${MAX_LN}, 128 · 2^ln · r ≤ 1 GiB, and × p ≤ 4 GiB, p ≤ ${MAX_P})`);
  }
  return {
    algorithm: HashAlgorithm.scrypt,
    recognizes: (stored) => parse(stored) !== undefined,
    async hash(password) {
      const salt = randomBytes(16);
      const key = await gate.run(() => derive(password, salt, KEY_LENGTH, configured));
      return `$scrypt$ln=${configured.ln},r=${configured.r},p=${configured.p}$${toB64(salt)}$${toB64(key)}`;
    },
    async verify(stored, password) {
      const parsed = parse(stored);
      if (!parsed) return false;
      const key = await gate.run(() => derive(password, parsed.salt, parsed.key.length, parsed));
      return timingSafeEqual(key, parsed.key);
    },
    needsRehash(stored) {
      const s = parse(stored);
      if (!s) return true;
      // Never for a hash that the configured parameters would weaken in any cost (argon2id.ts).
      if (s.ln > configured.ln || s.r > configured.r || s.p > configured.p) return false;
      return s.ln < configured.ln || s.r < configured.r || s.p < configured.p || s.salt.length < 16 || s.key.length < KEY_LENGTH;
    },
  };
}
