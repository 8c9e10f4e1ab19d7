/** Logins/s through the in-memory checker, same setup as the hashing checkers: the runtime without a KDF. */
import { checkerLogin } from "./checker-cost.ts";
import { GROUP } from "./scenario.ts";

export const checkerMemory = checkerLogin("memory", GROUP.argon2id);
