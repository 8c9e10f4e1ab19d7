/**
 * A portal that could not hear its clients for a while must not end their sessions for silence
 * before the requests that waited meanwhile count. When its process was stalled (SIGSTOP, a VM
 * pause, a very long GC), their requests wait unread in its socket, and on waking Node runs the
 * expired session timers before it reads them: an outside fault probe saw sessions in active use
 * end with `timeout` (the realm still answering their calls), and calls answered twice. When its
 * NATS connection comes back, requests its clients buffered meanwhile arrive in a burst.
 *
 * So after a stall, and when the connection is back, every live session is held a short grace
 * (`hold`): one whose client was active is then touched by the requests read, one whose client is
 * gone ends right after. The sessions are not given a whole new heartbeat window: an outside
 * probe measured `ended` 1.1–1.5 s past PROTOCOL.md's 3 × heartbeatMs + 1 s after a 0.6 s
 * stall, and a NATS outage, which touched every session, kept a dead client's session alive for
 * as long as the outage lasted. While the connection is down, sessions time out as usual.
 */
import type { Bus } from "../../transports/bus.ts";

/**
 * How long a session is held after the portal could not hear: enough to read the requests that
 * waited (one turn of the event loop, more under a backlog), small beside the slack between a
 * session's timeout (2.5 × heartbeatMs) and the protocol's bound (3 × heartbeatMs + 1 s, less the
 * time given a timed-out session's logout).
 */
export function deafnessGraceMs(heartbeatMs: number): number {
  return Math.max(20, Math.min(250, heartbeatMs / 4));
}

/** Starts guarding; returns a function that stops it. `holdAll(graceMs)` holds every live session. */
export function keepSessionsThroughDeafness(bus: Bus, heartbeatMs: number, holdAll: (graceMs: number) => void): () => void {
  const graceMs = deafnessGraceMs(heartbeatMs);
  const unwatch = bus.onConnectionChange?.((connected) => {
    if (connected) holdAll(graceMs);
  });
  // Ticks often enough to run before any session timer that expired during a stall: those were
  // set at least a heartbeat before, this one at most `tickMs` before.
  const tickMs = Math.max(10, Math.min(250, heartbeatMs / 4));
  const stallMs = Math.max(100, heartbeatMs / 4);
  let last = performance.now();
  const stalls = setInterval(() => {
    const now = performance.now();
    if (now - last > tickMs + stallMs) holdAll(graceMs);
    last = now;
  }, tickMs);
  stalls.unref?.();
  return () => {
    unwatch?.();
    clearInterval(stalls);
  };
}
