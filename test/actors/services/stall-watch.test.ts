/** StallWatch: a process that was held (SIGSTOP, a paused VM, a long synchronous task) knows it. */
import { expect, it } from "vitest";
import { StallWatch } from "../../../actors/services/stall-watch.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const hold = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

it("says a stall happened around a moment only when the event loop was held longer than stallMs", async () => {
  const watch = new StallWatch(20, 100);
  // Not started: never a stall.
  hold(150);
  expect(watch.stalledAround(performance.now(), 1_000)).toBe(false);
  watch.start();
  await sleep(80);
  expect(watch.stalledAround(performance.now(), 1_000)).toBe(false);
  const before = performance.now();
  hold(200);
  // Noticed at once, before its timer has run again.
  expect(watch.stalledAround(performance.now(), 1_000)).toBe(true);
  // A message handled just before the stall may have been answered late: still around it.
  expect(watch.stalledAround(before, 50)).toBe(true);
  await sleep(300);
  expect(watch.stalledAround(performance.now(), 100)).toBe(false);
  expect(watch.stalledAround(performance.now(), 1_000)).toBe(true);
});
