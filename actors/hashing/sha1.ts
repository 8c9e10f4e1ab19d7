/** Apache's `{SHA}` (unsalted base64 SHA-1), verified for migrating htpasswd files; never used for new hashes. */
import { createHash, timingSafeEqual } from "node:crypto";
import { HashAlgorithm, type PasswordVerifier } from "./hasher.ts";

const PATTERN = /^\{SHA\}([A-Za-z0-9+/]{27}=)$/;

/** Verifies `{SHA}base64` hashes from Apache `htpasswd -s`. */
export const sha1: PasswordVerifier = {
  algorithm: HashAlgorithm.sha1,
  recognizes: (stored) => PATTERN.test(stored),
  async verify(stored, password) {
    const match = PATTERN.exec(stored);
    if (!match) return false;
    return timingSafeEqual(createHash("sha1").update(password, "utf8").digest(), Buffer.from(match[1]!, "base64"));
  },
};
