/** ThrottledWarning (actors/services/throttled-warning.ts): one line per 10 s of a flood, and the flood's count kept. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ThrottledWarning } from "../../../actors/services/throttled-warning.ts";
import { captureLogs } from "../../support/capture-logs.ts";

describe("ThrottledWarning", () => {
  afterEach(() => void vi.useRealTimers());

  it("logs the first of a burst at once and its last when 10 s have passed, counting the ones not logged", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const logs = captureLogs("info");
    const warning = new ThrottledWarning(() => logs.logger);
    for (let i = 0; i < 5; i++) warning.note(() => ({ n: i }), "flood");
    const lines = () => logs.lines.map((line) => JSON.parse(line) as { msg: string; n: number; omitted?: number });
    expect(lines()).toEqual([expect.objectContaining({ msg: "flood", n: 0 })]);
    expect(lines()[0]!.omitted).toBeUndefined();
    vi.advanceTimersByTime(10_000);
    // Five noted, two lines: the last one logged stands for itself, three were not logged.
    expect(lines()).toEqual([expect.objectContaining({ n: 0 }), expect.objectContaining({ n: 4, omitted: 3 })]);
    vi.advanceTimersByTime(10_000);
    warning.note(() => ({ n: 5 }), "flood");
    expect(lines()).toHaveLength(3);
    expect(lines()[2]!.omitted).toBeUndefined();
  });
});
