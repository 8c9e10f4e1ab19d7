/** Refusal timing, argon2id checker: unknown user, compared with a wrong password. */
import { refusalTiming } from "./refusal-timing.ts";

export const refusalArgon2idUnknownUser = refusalTiming("argon2id", "unknown-user");
