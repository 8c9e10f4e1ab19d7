/** Password hashing: current algorithms (argon2id, scrypt, bcrypt) and htpasswd's legacy ones, read for migration. */
export { apr1, apr1Digest } from "./apr1.ts";
export { argon2id, ARGON2ID_DEFAULTS, ARGON2ID_LIMITS, type Argon2idParams } from "./argon2id.ts";
export { bcrypt, BCRYPT_DEFAULTS, BCRYPT_MAX_COST, type BcryptParams } from "./bcrypt.ts";
export { defaultHashGate, HashGate, threadPoolSize } from "./hash-gate.ts";
export { HashAlgorithm, type HasherOptions, type PasswordHasher, type PasswordVerifier } from "./hasher.ts";
export { verifierFor } from "./identify.ts";
export { scrypt, SCRYPT_DEFAULTS, type ScryptParams } from "./scrypt.ts";
export { sha1 } from "./sha1.ts";
