/**
 * Real timers with deadlines rounded up to a grid, so that sessions expiring close together fire
 * in one wakeup of the event loop (and their `UNSUB`s leave in one write), not one each.
 */
import type { Clock } from "./lean-actor.ts";

/** Below this a delay is kept exact: the grid would be a millisecond or less anyway. */
const EXACT_BELOW_MS = 32;
const MAX_GRAIN_MS = 1024;

/**
 * The delay that ends on the next multiple of the grain at or after `now + ms`. The grain is the
 * largest power of two ≤ ms/16 (at most 1024 ms), so a timer is late by less than 1/16 of its
 * delay: a session timer of 2.5 × heartbeat fires before 2.66 × heartbeat, inside the
 * protocol's 3 × heartbeat + 1 s.
 */
export function coarseDelay(ms: number, now: number): number {
  if (!(ms >= EXACT_BELOW_MS)) return ms;
  const grain = Math.min(MAX_GRAIN_MS, 2 ** Math.floor(Math.log2(ms / 16)));
  return Math.ceil((now + ms) / grain) * grain - now;
}

/** The clock the Portal's sagas run on. */
export const coarseClock: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, coarseDelay(ms, Date.now())),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};
