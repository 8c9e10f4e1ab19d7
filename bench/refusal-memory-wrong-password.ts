/** Refusal timing, memory checker: wrong password (the group's floor). */
import { refusalTiming } from "./refusal-timing.ts";

export const refusalMemoryWrongPassword = refusalTiming("memory", "wrong-password");
