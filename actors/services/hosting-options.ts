/**
 * The options of whoever hosts avatars (a portal with a local realm, a realm service): how their
 * crashes are supervised and how fast their Minds may be sent to. Checked when the service starts,
 * so that a typo fails at once with the option's name instead of acting oddly under load.
 */
import type { SupervisionOptions } from "../supervision/supervised-avatar.ts";
import type { MindLimits } from "./remote-mind.ts";
import { checkWholeNumber } from "../option-checks.ts";

/** Throws a RangeError naming the first option that is not a sensible number. */
export function checkHostingOptions(options: {
  readonly supervision?: SupervisionOptions | undefined;
  readonly mindLimits?: Partial<MindLimits> | undefined;
  readonly failedTimeoutMs?: number | undefined;
}): void {
  checkWholeNumber("failedTimeoutMs", options.failedTimeoutMs, 1);
  const policy = options.supervision?.policy ?? {};
  checkWholeNumber("supervision.policy.maxRestarts", policy.maxRestarts, 0);
  for (const name of ["periodMs", "backoffMs", "maxBackoffMs"] as const) checkWholeNumber(`supervision.policy.${name}`, policy[name], 0);
  checkWholeNumber("supervision.callWaitMs", options.supervision?.callWaitMs, 1);
  const limits = options.mindLimits ?? {};
  if (limits.ratePerSecond !== undefined && !(Number.isFinite(limits.ratePerSecond) && limits.ratePerSecond > 0)) {
    throw new RangeError(`mindLimits.ratePerSecond must be a positive number, got ${limits.ratePerSecond}`);
  }
  for (const name of ["burst", "maxQueued", "maxQueuedBytes"] as const) checkWholeNumber(`mindLimits.${name}`, limits[name], 1);
}
