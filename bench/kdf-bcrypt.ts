/** Floor for checker cost: the raw bcrypt verify, in the bench process, at every in-flight level. */
import { kdfFloor } from "./checker-cost.ts";

export const kdfBcrypt = kdfFloor("bcrypt");
