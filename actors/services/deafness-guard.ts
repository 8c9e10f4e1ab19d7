/**
 * A portal that cannot hear its clients must not end their sessions for silence. While its NATS
 * connection is down, clients' pings and calls cannot reach it; when its process was stalled
 * (SIGSTOP, a VM pause, a very long GC), their requests wait unread in its socket, and on waking
 * Node runs the expired session timers before it reads them. An outside fault probe saw both end
 * sessions in active use with reason `timeout` (the realm still answering their calls), and
 * answer calls twice. So every live session counts as active when the connection drops, every
 * heartbeat/2 while it is down, when it is back, and after a stall.
 *
 * The heartbeat rule's upper bound (3 × heartbeatMs + 1 s after the last activity) then does not
 * hold for a client that died just before or during such a gap: its session ends one session
 * window after the gap instead.
 */
import type { Bus } from "../../transports/bus.ts";

/** Starts guarding; returns a function that stops it. `touchAll` marks every live session active. */
export function keepSessionsThroughDeafness(bus: Bus, heartbeatMs: number, touchAll: () => void): () => void {
  let whileDown: ReturnType<typeof setInterval> | undefined;
  const unwatch = bus.onConnectionChange?.((connected) => {
    clearInterval(whileDown);
    whileDown = undefined;
    touchAll();
    if (!connected) {
      whileDown = setInterval(touchAll, Math.max(10, heartbeatMs / 2));
      whileDown.unref?.();
    }
  });
  // Ticks often enough to run before any session timer that expired during a stall: those were
  // set at least a heartbeat before, this one at most `tickMs` before.
  const tickMs = Math.max(10, Math.min(250, heartbeatMs / 4));
  const stallMs = Math.max(100, heartbeatMs / 4);
  let last = performance.now();
  const stalls = setInterval(() => {
    const now = performance.now();
    if (now - last > tickMs + stallMs) touchAll();
    last = now;
  }, tickMs);
  stalls.unref?.();
  return () => {
    unwatch?.();
    clearInterval(whileDown);
    clearInterval(stalls);
  };
}
