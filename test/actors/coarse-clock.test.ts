/** The sagas' clock: deadlines on a grid, never early, late by less than 1/16 of the delay. */
import { describe, expect, it } from "vitest";
import { coarseClock, coarseDelay } from "../../actors/coarse-clock.ts";

describe("coarseDelay", () => {
  it("never shortens a delay and lengthens it by less than a sixteenth", () => {
    for (const ms of [32, 100, 250, 1_000, 5_000, 37_500, 600_000]) {
      for (let now = 1_700_000_000_000; now < 1_700_000_000_000 + 3_000; now += 7) {
        const delay = coarseDelay(ms, now);
        expect(delay).toBeGreaterThanOrEqual(ms);
        expect(delay - ms).toBeLessThan(Math.max(1, Math.min(1024, ms / 16)));
      }
    }
  });

  it("gives timers that would fall due within one grain the same deadline", () => {
    // 5 s (a 2 s heartbeat's session timer): grain 256 ms. These four fall due in (G, G + 256].
    const G = 1_700_000_000_000 - (1_700_000_000_000 % 256);
    const starts = [1, 50, 120, 256].map((dt) => G - 5_000 + dt);
    const deadlines = new Set(starts.map((start) => start + coarseDelay(5_000, start)));
    expect([...deadlines]).toEqual([G + 256]);
  });

  it("keeps short delays exact", () => {
    expect(coarseDelay(10, 12_345)).toBe(10);
    expect(coarseDelay(0, 12_345)).toBe(0);
  });
});

describe("coarseClock", () => {
  it("fires, and can be cleared", async () => {
    const fired: string[] = [];
    coarseClock.setTimeout(() => fired.push("kept"), 5);
    const cleared = coarseClock.setTimeout(() => fired.push("cleared"), 5);
    coarseClock.clearTimeout(cleared);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(fired).toEqual(["kept"]);
  });
});
