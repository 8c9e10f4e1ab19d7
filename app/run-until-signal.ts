/** Keeps a service running until SIGTERM/SIGINT (or the bus closes), then stops it and drains. */
import type { Logger as PinoLogger } from "pino";
import type { Bus } from "../transports/index.ts";

/** Resolves to the exit status: 0 after a signal, 1 when the bus closed under us. */
export async function runUntilSignal(bus: Bus, logger: PinoLogger, stop: () => Promise<void>): Promise<number> {
  const signal = await new Promise<NodeJS.Signals | "closed">((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
    void bus.closed.then(() => resolve("closed"));
  });
  logger.info({ signal }, "stopping: ending sessions and draining");
  await stop();
  await bus.drain().catch(() => undefined);
  logger.flush();
  return signal === "closed" ? 1 : 0;
}
