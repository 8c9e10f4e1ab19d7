/**
 * When a bus last lost or regained its NATS connection, and requests that ride out the moments
 * around it. After a nats-server restart every process reconnects on its own schedule (nats.js
 * waits between attempts, with jitter): for that moment a subject can have no responders although
 * its service is alive and about to resubscribe. And a server shutting down (SIGTERM) closes its
 * connections one at a time: a request can meet no-responders because the other side's connection
 * was closed a moment before this one's. No-responders means nobody received the request, so
 * asking again cannot run anything twice.
 */
import type { Bus } from "./bus.ts";
import { NoResponders } from "./errors.ts";

/**
 * How long after its own reconnect a process asks again rather than believe a no-responders
 * answer: long enough for a peer on nats.js's default 2 s between attempts (plus jitter) to be back.
 */
export const RECONNECT_GRACE_MS = 5000;
/** How long the server may take to answer a PING before a no-responders answer is believed anyway. */
const SERVER_CHECK_MS = 1000;

interface Watch {
  /** performance.now() of the last change, lost or regained. */
  changedAt: number | undefined;
  connected: boolean;
  /** Told of every change, then forgotten. */
  readonly once: Set<(connected: boolean) => void>;
}

const watches = new WeakMap<Bus, Watch>();

/** Starts watching `bus` (once per bus); `graceLeftMs` and `askRidingOutReconnects` then know its changes. */
export function watchReconnects(bus: Bus): void {
  if (watches.has(bus)) return;
  const watch: Watch = { changedAt: undefined, connected: true, once: new Set() };
  watches.set(bus, watch);
  // Lost counts as well as regained: until both ends are back, answers are not to be trusted.
  bus.onConnectionChange?.((connected) => {
    watch.changedAt = performance.now();
    watch.connected = connected;
    const told = [...watch.once];
    watch.once.clear();
    for (const tell of told) tell(connected);
  });
}

/** What is left of `graceMs` after `bus`'s last connection change (0 when there was none, or it is over). */
export function graceLeftMs(bus: Bus, graceMs = RECONNECT_GRACE_MS): number {
  const at = watches.get(bus)?.changedAt;
  return at === undefined ? 0 : Math.max(0, at + graceMs - performance.now());
}

/** The waits between asks: quick at first (most peers are back within a few hundred ms), then every 250 ms. */
function retryDelayMs(attempt: number): number {
  return Math.min(250, 25 * 2 ** attempt);
}

/** The next change of a watched connection (true: regained, false: lost), or undefined when none came within `ms`. */
function nextChange(watch: Watch, ms: number): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    const changed = (connected: boolean): void => {
      clearTimeout(timer);
      resolve(connected);
    };
    const timer = setTimeout(() => {
      watch.once.delete(changed);
      resolve(undefined);
    }, ms);
    timer.unref?.();
    watch.once.add(changed);
  });
}

/**
 * Whether the server still answers this connection (a PING's PONG, `flush`). False when the
 * connection is lost meanwhile (nats.js then rejects the flush too); true when the server is only
 * slow (no answer within a second).
 */
async function serverAnswers(bus: Bus, watch: Watch): Promise<boolean> {
  if (!watch.connected) return false;
  const flushed = bus.flush().then(
    () => true,
    () => false,
  );
  return (await Promise.race([flushed, nextChange(watch, SERVER_CHECK_MS)])) ?? true;
}

/** True once the connection is back after a change later than `since`; false after `ms` or when the bus closes. */
async function reconnectedSince(bus: Bus, watch: Watch, since: number, ms: number): Promise<boolean> {
  const back = (): boolean => watch.connected && watch.changedAt !== undefined && watch.changedAt > since;
  const deadline = performance.now() + ms;
  const closed = bus.closed.then(() => "closed" as const);
  while (!back()) {
    const left = deadline - performance.now();
    if (left <= 0 || (await Promise.race([nextChange(watch, left), closed])) === "closed") return false;
  }
  return true;
}

export interface RideOutOptions {
  /** How long after the last connection change no-responders is asked again; default `RECONNECT_GRACE_MS`. */
  readonly graceMs?: number;
  /** False for a no-responders that must not be asked again (one that may not mean "nobody received it"). */
  readonly mayAskAgain?: () => boolean;
}

/**
 * Runs `ask`; when it rejects with `NoResponders`, runs it again rather than believe it:
 * - within `graceMs` of `bus`'s last connection change, a moment later (the other side may not be back yet);
 * - at any other time, only when the server does not answer a PING on this connection (it is
 *   being closed too: a server shutting down): once it is back.
 * Any other outcome, or no-responders that outlives the grace, is returned as it is. `bus` must be
 * watched (`watchReconnects`) before the outage to know of it: `connectNatsBus` watches every NATS
 * bus from its start.
 */
export async function askRidingOutReconnects<T>(bus: Bus, ask: () => Promise<T>, options: RideOutOptions = {}): Promise<T> {
  const graceMs = options.graceMs ?? RECONNECT_GRACE_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await ask();
    } catch (error) {
      const watch = watches.get(bus);
      if (!(error instanceof NoResponders) || watch === undefined || options.mayAskAgain?.() === false) throw error;
      const heardAt = performance.now();
      if (graceLeftMs(bus, graceMs) === 0) {
        // The usual case: the server is there and says nobody serves the subject. Believed.
        if (await serverAnswers(bus, watch)) throw error;
        // This connection is going too (a server shutting down). Asked again once it is back:
        // what is sent while it is down is dropped at the reconnect.
        if (!(await reconnectedSince(bus, watch, heardAt, graceMs))) throw error;
      } else if (!watch.connected && !(await reconnectedSince(bus, watch, heardAt, graceMs))) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, retryDelayMs(attempt)));
  }
}
