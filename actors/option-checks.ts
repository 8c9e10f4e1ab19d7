/**
 * Checks of numeric options, made when a service or object is created: a typo (a negative
 * timeout, `NaN`, a string) fails at once with the option's name instead of acting oddly under
 * load. Timers in Node take at most 2³¹ − 1 ms.
 */

/** The longest delay a Node timer takes. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Throws a `RangeError` naming `name` unless `value` is absent or a whole number from `min` to `max`. */
export function checkWholeNumber(name: string, value: unknown, min: number, max = MAX_TIMER_MS): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a whole number from ${min} to ${max}, got ${typeof value === "string" ? JSON.stringify(value) : String(value)}`);
  }
}
