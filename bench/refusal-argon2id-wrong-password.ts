/** Refusal timing, argon2id checker: wrong password (the group's floor). */
import { refusalTiming } from "./refusal-timing.ts";

export const refusalArgon2idWrongPassword = refusalTiming("argon2id", "wrong-password");
