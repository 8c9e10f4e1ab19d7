/** Logins/s through HashedPasswordChecker with argon2id over NATS, beside the raw verify (kdf-argon2id). */
import { checkerLogin } from "./checker-cost.ts";

export const checkerArgon2id = checkerLogin("argon2id");
