/** Ended sessions' subscriptions: held for endedLingerMs, in order, then drained; all at once on close. */
import { describe, expect, it, vi } from "vitest";
import { EndedSessionLinger } from "../../../actors/services/ended-sessions.ts";
import type { BusSubscription } from "../../../transports/bus.ts";
import { waitFor } from "../../support/wire.ts";

/** A subscription that records when it was drained. */
function recorded(drained: string[], name: string): BusSubscription {
  return {
    subject: name,
    unsubscribe: () => void drained.push(`${name} unsubscribed`),
    drain: async () => void drained.push(name),
  };
}

describe("EndedSessionLinger", () => {
  it("drains each held subscription lingerMs after it was held, in the order they came, with one timer", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    try {
      const linger = new EndedSessionLinger(60);
      const drained: string[] = [];
      linger.hold(recorded(drained, "a"));
      vi.advanceTimersByTime(30);
      linger.hold(recorded(drained, "b"));
      expect(linger.size).toBe(2);
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(30); // a is due (60 ms), b is not (30 ms)
      expect(drained).toEqual(["a"]);
      expect(linger.size).toBe(1);
      vi.advanceTimersByTime(29);
      expect(drained).toEqual(["a"]);
      vi.advanceTimersByTime(1);
      expect(drained).toEqual(["a", "b"]);
      expect(vi.getTimerCount()).toBe(0);
      // Empty again, it starts over.
      linger.hold(recorded(drained, "c"));
      vi.advanceTimersByTime(60);
      expect(drained).toEqual(["a", "b", "c"]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("drains at once with lingerMs 0, and everything still held on close, and whatever comes after close", async () => {
    const drained: string[] = [];
    new EndedSessionLinger(0).hold(recorded(drained, "now"));
    expect(drained).toEqual(["now"]);
    const linger = new EndedSessionLinger(60_000);
    for (const name of ["x", "y"]) linger.hold(recorded(drained, name));
    linger.close();
    expect(drained).toEqual(["now", "x", "y"]);
    linger.hold(recorded(drained, "late"));
    expect(drained).toEqual(["now", "x", "y", "late"]);
    expect(linger.size).toBe(0);
  });

  it("refuses a negative, fractional or timer-overflowing lingerMs", () => {
    for (const ms of [-1, 1.5, 2 ** 31, Number.NaN]) expect(() => new EndedSessionLinger(ms)).toThrow(RangeError);
  });

  it("drains each of many holds once, in the order held, and then holds nothing", async () => {
    const linger = new EndedSessionLinger(1);
    const drained: string[] = [];
    for (let i = 0; i < 5000; i++) linger.hold(recorded(drained, String(i)));
    // Each sweep drains what is due and sets the next timer; a loaded machine may take a few.
    await waitFor(() => drained.length === 5000, 2000);
    expect(drained).toEqual(Array.from({ length: 5000 }, (_, i) => String(i)));
    expect(linger.size).toBe(0);
  });
});
