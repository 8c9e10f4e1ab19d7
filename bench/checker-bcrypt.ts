/** Logins/s through HashedPasswordChecker with bcrypt over NATS, beside the raw verify (kdf-bcrypt). */
import { checkerLogin } from "./checker-cost.ts";

export const checkerBcrypt = checkerLogin("bcrypt");
