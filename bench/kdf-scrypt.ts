/** Floor for checker cost: the raw scrypt verify, in the bench process, at every in-flight level. */
import { kdfFloor } from "./checker-cost.ts";

export const kdfScrypt = kdfFloor("scrypt");
