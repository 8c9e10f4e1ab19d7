/** The users and hash parameters shared by the checker-portal child and the scenarios that drive it. */
import { argon2id, bcrypt, scrypt, type HasherOptions, type PasswordHasher } from "../actors/index.ts";

export const USERNAME = "alice";
export const PASSWORD = "secret";

export type Kdf = "argon2id" | "scrypt" | "bcrypt";

/**
 * The parameters the checker-cost rows use. argon2id runs at its defaults; scrypt and bcrypt are
 * lighter than theirs (scrypt ln=17: ~390 ms, bcrypt 12: ~210 ms per verify here; ln=13 and
 * cost 10 take ~25 and ~55 ms) so that 128
 * verifications in flight drain within the bench's time budget. bcrypt 10 is OWASP's minimum.
 */
export const KDF_PARAMS: Readonly<Record<Kdf, { readonly label: string; make(options?: HasherOptions): PasswordHasher }>> = {
  argon2id: { label: "argon2id m=19456 t=2 p=1 (defaults)", make: (o) => argon2id({}, o) },
  scrypt: { label: "scrypt ln=13 r=8 p=1 (default ln=17)", make: (o) => scrypt({ ln: 13 }, o) },
  bcrypt: { label: "bcrypt cost 10 (default 12)", make: (o) => bcrypt({ cost: 10 }, o) },
};
