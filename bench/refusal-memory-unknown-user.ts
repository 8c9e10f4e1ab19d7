/** Refusal timing, memory checker: unknown user, compared with a wrong password. */
import { refusalTiming } from "./refusal-timing.ts";

export const refusalMemoryUnknownUser = refusalTiming("memory", "unknown-user");
