/** Logins/s through HashedPasswordChecker with scrypt over NATS, beside the raw verify (kdf-scrypt). */
import { checkerLogin } from "./checker-cost.ts";

export const checkerScrypt = checkerLogin("scrypt");
