/** Floor for checker cost: the raw argon2id verify, in the bench process, at every in-flight level. */
import { kdfFloor } from "./checker-cost.ts";

export const kdfArgon2id = kdfFloor("argon2id");
