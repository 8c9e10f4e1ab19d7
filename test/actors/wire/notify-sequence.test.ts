/** NotifySequence: how many notifications a gap in `seq` says never arrived. */
import { describe, expect, it } from "vitest";
import { lostNotice, NotifySequence } from "../../../actors/wire/notify-sequence.ts";

describe("NotifySequence", () => {
  it("counts nothing missed while the numbers follow one another from 1", () => {
    const sequence = new NotifySequence();
    expect([1, 2, 3, 4].map((seq) => sequence.missedBefore(seq))).toEqual([0, 0, 0, 0]);
  });

  it("counts the numbers skipped before a message, the first one included", () => {
    const sequence = new NotifySequence();
    expect(sequence.missedBefore(3)).toBe(2);
    expect(sequence.missedBefore(4)).toBe(0);
    expect(sequence.missedBefore(9)).toBe(4);
  });

  it("counts nothing for a number it has passed, and does not go back to it", () => {
    const sequence = new NotifySequence();
    sequence.missedBefore(5);
    expect(sequence.missedBefore(2)).toBe(0);
    expect(sequence.missedBefore(6)).toBe(0);
  });

  it("takes a message without a usable seq (a realm written from PROTOCOL.md alone) for one that says nothing", () => {
    const sequence = new NotifySequence();
    for (const seq of [undefined, null, "3", 0, -1, 2.5, Number.MAX_SAFE_INTEGER + 2, Number.NaN]) expect(sequence.missedBefore(seq)).toBe(0);
    expect(sequence.missedBefore(1)).toBe(0);
  });

  it("names lost notifications as a `dropped` notice whose cause is `lost`", () => {
    expect(lostNotice(3)).toEqual({ event: "dropped", data: { count: 3, cause: "lost" } });
  });
});
