/** Keeps a service running until SIGTERM/SIGINT (or the bus closes), then stops it and drains. */
import type { Logger as PinoLogger } from "pino";
import type { Bus } from "../transports/index.ts";

export interface RunOptions {
  /**
   * How long stopping may take before the process gives up on it (default 30 s): with NATS
   * unreachable the drain would otherwise wait forever. A second signal gives up at once.
   */
  readonly stopTimeoutMs?: number;
  /**
   * The first signal again within this long (default 1000 ms) is taken for the same request, not a
   * second one: GNU `timeout` signals the process and then its whole process group, so a service
   * run under it got SIGTERM twice and exited without a clean stop (an outside probe).
   */
  readonly repeatWindowMs?: number;
}

/** Resolves to the exit status: 0 after a clean stop, 1 when the bus closed under us or stopping was cut short. */
export async function runUntilSignal(bus: Bus, logger: PinoLogger, stop: () => Promise<void>, options: RunOptions = {}): Promise<number> {
  // An operator should see an outage in the log, not only its consequences.
  const unwatch = bus.onConnectionChange?.((connected) => {
    if (connected) logger.info({ event: "nats-reconnected" }, "reconnected to NATS");
    else logger.warn({ event: "nats-disconnected" }, "lost the connection to NATS; reconnecting");
  });
  const signals: Array<() => void> = [];
  const onSignal = (listener: (signal: NodeJS.Signals) => void) => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const handler = () => listener(signal);
      process.on(signal, handler);
      signals.push(() => process.off(signal, handler));
    }
  };
  const cause = await new Promise<NodeJS.Signals | "closed">((resolve) => {
    onSignal(resolve);
    void bus.closed.then(() => resolve("closed"));
  });
  for (const off of signals.splice(0)) off();
  const timeoutMs = options.stopTimeoutMs ?? 30_000;
  logger.info({ signal: cause, timeoutMs }, "stopping: ending sessions and draining (a second signal exits at once)");
  let timer: NodeJS.Timeout | undefined;
  const firstAt = performance.now();
  const cutShort = new Promise<string>((resolve) => {
    onSignal((signal) => {
      if (signal === cause && performance.now() - firstAt < (options.repeatWindowMs ?? 1_000)) {
        logger.info({ signal }, "the same signal again at once (as `timeout` sends it): still stopping cleanly");
        return;
      }
      resolve(`second ${signal}`);
    });
    timer = setTimeout(() => resolve(`not stopped after ${timeoutMs} ms`), timeoutMs);
  });
  const stopped = (async () => {
    await stop();
    await bus.drain().catch(() => undefined);
  })().then(() => undefined);
  const reason = await Promise.race([stopped, cutShort]);
  clearTimeout(timer);
  for (const off of signals.splice(0)) off();
  unwatch?.();
  if (reason !== undefined) {
    logger.error({ reason }, "exiting without a clean stop: sessions may not have ended, nor in-flight requests been answered");
    await bus.close().catch(() => undefined);
  }
  logger.flush();
  return reason !== undefined || cause === "closed" ? 1 : 0;
}
