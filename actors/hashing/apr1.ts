/** Apache's `$apr1$` (MD5-crypt with Apache's magic), verified for migrating htpasswd files; never used for new hashes. */
import { createHash, timingSafeEqual } from "node:crypto";
import { HashAlgorithm, type PasswordVerifier } from "./hasher.ts";

const MAGIC = "$apr1$";
const ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const PATTERN = /^\$apr1\$([./0-9A-Za-z]{0,8})\$([./0-9A-Za-z]{22})$/;

const md5 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash("md5");
  for (const part of parts) h.update(part);
  return h.digest();
};

function to64(value: number, count: number): string {
  let out = "";
  for (let i = 0; i < count; i++, value >>= 6) out += ITOA64[value & 0x3f];
  return out;
}

/** The 22-character MD5-crypt digest of `password` with `salt`, as Apache's apr_md5_encode computes it. */
export function apr1Digest(password: string, salt: string): string {
  const pw = Buffer.from(password, "utf8");
  const sl = Buffer.from(salt, "utf8");
  const alternate = md5(pw, sl, pw);
  const ctx = createHash("md5").update(pw).update(MAGIC).update(sl);
  for (let left = pw.length; left > 0; left -= 16) ctx.update(alternate.subarray(0, Math.min(16, left)));
  for (let i = pw.length; i > 0; i >>= 1) ctx.update(i & 1 ? Buffer.of(0) : pw.subarray(0, 1));
  let final = ctx.digest();
  // 1000 rounds of MD5: a millisecond, cheap enough to run on the loop (and the reason to migrate).
  for (let i = 0; i < 1000; i++) {
    const round = createHash("md5");
    round.update(i & 1 ? pw : final);
    if (i % 3) round.update(sl);
    if (i % 7) round.update(pw);
    round.update(i & 1 ? final : pw);
    final = round.digest();
  }
  const f = final;
  return (
    to64((f[0]! << 16) | (f[6]! << 8) | f[12]!, 4) +
    to64((f[1]! << 16) | (f[7]! << 8) | f[13]!, 4) +
    to64((f[2]! << 16) | (f[8]! << 8) | f[14]!, 4) +
    to64((f[3]! << 16) | (f[9]! << 8) | f[15]!, 4) +
    to64((f[4]! << 16) | (f[10]! << 8) | f[5]!, 4) +
    to64(f[11]!, 2)
  );
}

/** Verifies `$apr1$salt$digest` hashes from Apache `htpasswd -m`. */
export const apr1: PasswordVerifier = {
  algorithm: HashAlgorithm.apr1,
  recognizes: (stored) => PATTERN.test(stored),
  async verify(stored, password) {
    const match = PATTERN.exec(stored);
    if (!match) return false;
    return timingSafeEqual(Buffer.from(apr1Digest(password, match[1]!)), Buffer.from(match[2]!));
  },
};
