/** waitAtMost: bounded waiting that leaves no timer behind. */
import { afterEach, expect, it, vi } from "vitest";
import { waitAtMost } from "../../transports/wait-at-most.ts";

afterEach(() => void vi.useRealTimers());

it("returns as soon as the promise settles, and clears its timer", async () => {
  vi.useFakeTimers();
  let resolve!: () => void;
  const waiting = waitAtMost(new Promise<void>((r) => (resolve = r)), 10_000);
  let done = false;
  void waiting.then(() => (done = true));
  expect(vi.getTimerCount()).toBe(1);
  resolve();
  await waiting;
  expect(done).toBe(true);
  expect(vi.getTimerCount()).toBe(0);
});

it("returns after `ms` when the promise never settles", async () => {
  vi.useFakeTimers();
  let done = false;
  const waiting = waitAtMost(new Promise(() => {}), 500).then(() => (done = true));
  await vi.advanceTimersByTimeAsync(499);
  expect(done).toBe(false);
  await vi.advanceTimersByTimeAsync(1);
  await waiting;
  expect(done).toBe(true);
});

it("passes a rejection through, and clears its timer", async () => {
  vi.useFakeTimers();
  await expect(waitAtMost(Promise.reject(new Error("gone")), 10_000)).rejects.toThrow("gone");
  expect(vi.getTimerCount()).toBe(0);
});
