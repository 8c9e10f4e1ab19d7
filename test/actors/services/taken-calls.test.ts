/** TakenCalls: which calls a realm process took, per session, for how long, and after the release. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TakenCalls } from "../../../actors/services/taken-calls.ts";

const A = "A".repeat(22);
const B = "B".repeat(22);

describe("TakenCalls", () => {
  beforeEach(() => void vi.useFakeTimers({ toFake: ["performance"] }));
  afterEach(() => void vi.useRealTimers());

  it("says which of the asked calls it took, among the asked sessions only", () => {
    const taken = new TakenCalls();
    taken.note(A, "r1");
    taken.note(B, "r2");
    expect(taken.took([A], ["r1", "r2", "r3"])).toEqual(["r1"]);
    expect(taken.took([A, B], ["r1", "r2"])).toEqual(["r1", "r2"]);
  });

  it("forgets a session's calls older than the window, and keeps at most the limit", () => {
    const taken = new TakenCalls(2_000, 3);
    taken.note(A, "old");
    vi.advanceTimersByTime(2_500);
    taken.note(A, "r1");
    expect(taken.list(A)).toEqual(["r1"]);
    for (const reply of ["r2", "r3", "r4"]) taken.note(A, reply);
    expect(taken.list(A)).toEqual(["r2", "r3", "r4"]);
  });

  it("keeps a released session's calls for the window, for the audits of its last calls, then forgets them", () => {
    const taken = new TakenCalls(2_000);
    taken.note(A, "r1");
    taken.release(A);
    expect(taken.took([A], ["r1"])).toEqual(["r1"]);
    expect(taken.list(A)).toEqual(["r1"]);
    vi.advanceTimersByTime(2_500);
    // Released sessions are swept when another one is released.
    taken.note(B, "r2");
    taken.release(B);
    expect(taken.took([A], ["r1"])).toEqual([]);
    expect(taken.took([B], ["r2"])).toEqual(["r2"]);
  });
});
