/** How a `portcullis` service stops: on a signal, within a deadline, at once on a second signal. */
import { expect, it } from "vitest";
import { runUntilSignal } from "../../app/run-until-signal.ts";
import { createInProcessBus, type Bus } from "../../transports/index.ts";
import { captureLogs } from "../support/capture-logs.ts";

const never = () => new Promise<void>(() => {});
const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

it("stops cleanly on SIGTERM and exits 0", async () => {
  const { logger } = captureLogs();
  let stopped = false;
  const running = runUntilSignal(createInProcessBus(), logger as never, async () => void (stopped = true));
  await tick();
  process.emit("SIGTERM");
  expect(await running).toBe(0);
  expect(stopped).toBe(true);
});

it("gives up on a stop that hangs (NATS unreachable) after stopTimeoutMs, says so, and exits 1", async () => {
  const { lines, logger } = captureLogs();
  const bus = createInProcessBus();
  const running = runUntilSignal(bus, logger as never, never, { stopTimeoutMs: 100 });
  await tick();
  process.emit("SIGTERM");
  expect(await running).toBe(1);
  expect(lines.join("\n")).toContain("not stopped after 100 ms");
  expect(lines.join("\n")).toContain("exiting without a clean stop");
});

it("exits at once on a second signal while stopping", async () => {
  const { lines, logger } = captureLogs();
  const running = runUntilSignal(createInProcessBus(), logger as never, never, { stopTimeoutMs: 60_000 });
  await tick();
  process.emit("SIGTERM");
  await tick();
  process.emit("SIGINT");
  expect(await running).toBe(1);
  expect(lines.join("\n")).toContain("second SIGINT");
  // No listener left behind: the next test's signals are its own.
  expect(process.listenerCount("SIGTERM")).toBe(0);
});

it("logs losing and regaining the NATS connection", async () => {
  const { lines, logger } = captureLogs();
  let tell: (connected: boolean) => void = () => {};
  const bus: Bus = Object.assign(createInProcessBus(), {
    onConnectionChange: (listener: (connected: boolean) => void) => ((tell = listener), () => (tell = () => {})),
  });
  const running = runUntilSignal(bus, logger as never, async () => {});
  tell(false);
  tell(true);
  process.emit("SIGTERM");
  expect(await running).toBe(0);
  const events = lines.map((l) => JSON.parse(l).event).filter(Boolean);
  expect(events).toEqual(["nats-disconnected", "nats-reconnected"]);
});

it("takes the same signal again at once for the same request, as GNU timeout sends it to the process and its group", async () => {
  const { lines, logger } = captureLogs();
  let finish!: () => void;
  const running = runUntilSignal(createInProcessBus(), logger as never, () => new Promise<void>((resolve) => (finish = resolve)), { stopTimeoutMs: 60_000 });
  await tick();
  process.emit("SIGTERM");
  await tick();
  process.emit("SIGTERM");
  await tick();
  finish();
  expect(await running).toBe(0);
  expect(lines.join("\n")).not.toContain("exiting without a clean stop");
  expect(process.listenerCount("SIGTERM")).toBe(0);
});

it("exits at once on the same signal again once the repeat window has passed", async () => {
  const { lines, logger } = captureLogs();
  const running = runUntilSignal(createInProcessBus(), logger as never, never, { stopTimeoutMs: 60_000, repeatWindowMs: 20 });
  await tick();
  process.emit("SIGTERM");
  await new Promise((resolve) => setTimeout(resolve, 40));
  process.emit("SIGTERM");
  expect(await running).toBe(1);
  expect(lines.join("\n")).toContain("second SIGTERM");
});
