/**
 * When a client's bus last reconnected to NATS. After a nats-server restart the client may be
 * back before the portal is (nats.js waits between attempts): for that moment the session's
 * subjects have no responders although the session is live, and no-responders must not be read
 * as "the session is over" yet.
 */
import type { Bus } from "../../transports/bus.ts";

const lastReconnect = new WeakMap<Bus, number>();
const watched = new WeakSet<Bus>();

/** Starts watching `bus` (once per bus); `reconnectedWithin(bus, ms)` then tells. */
export function watchReconnects(bus: Bus): void {
  if (watched.has(bus)) return;
  watched.add(bus);
  // Lost counts as well as regained: until both ends are back, answers are not to be trusted.
  bus.onConnectionChange?.(() => lastReconnect.set(bus, performance.now()));
}

/** True when `bus` lost or regained its connection within the last `ms`. */
export function reconnectedWithin(bus: Bus, ms: number): boolean {
  const at = lastReconnect.get(bus);
  return at !== undefined && performance.now() - at < ms;
}
