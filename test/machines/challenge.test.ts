/** The challenge machine alone: effects recorded, time by xstate's SimulatedClock. */
import { describe, expect, it } from "vitest";
import { createActor, SimulatedClock } from "xstate";
import { challengeMachine } from "../../machines/challenge.ts";

function harness(input: { expiresInMs?: number; maxRounds?: number } = {}) {
  const calls = { issue: 0, verify: [] as unknown[], query: [] as unknown[], refused: [] as unknown[] };
  const clock = new SimulatedClock();
  const machine = challengeMachine.provide({
    actions: {
      issue: () => void (calls.issue += 1),
      verify: ({ event }) => void calls.verify.push(event.type === "RESPONSE" ? event.response : null),
      answerQuery: ({ event }) => void calls.query.push(event.type === "QUERY" ? event.query : null),
      refuseResponse: ({ event }) => void calls.refused.push(event.type === "RESPONSE" ? event.response : event.type),
    },
  });
  const actor = createActor(machine, { input, clock });
  actor.start();
  return { actor, clock, calls, state: () => actor.getSnapshot().value };
}

describe("challengeMachine", () => {
  it("should issue on start and await a response once issued", () => {
    const { actor, calls, state } = harness();
    expect(state()).toBe("issued");
    expect(calls.issue).toBe(1);
    actor.send({ type: "ISSUED" });
    expect(state()).toBe("awaiting");
  });

  it("should end refused when issuing fails", () => {
    const { actor, state } = harness();
    actor.send({ type: "ISSUE_FAILED", error: "no checker" });
    expect(state()).toBe("refused");
    expect(actor.getSnapshot().output).toEqual({ outcome: "refused", rounds: 0, failure: "no checker" });
  });

  it("should verify the first response and end done when verified", () => {
    const { actor, calls, state } = harness();
    actor.send({ type: "ISSUED" });
    actor.send({ type: "RESPONSE", response: "r1" });
    expect(state()).toBe("verifying");
    expect(calls.verify).toEqual(["r1"]);
    actor.send({ type: "VERIFIED" });
    expect(actor.getSnapshot().status).toBe("done");
    expect(actor.getSnapshot().output).toMatchObject({ outcome: "done", rounds: 1 });
  });

  it("should refuse a second response while the first is being verified, without verifying it", () => {
    const { actor, calls, state } = harness();
    actor.send({ type: "ISSUED" });
    actor.send({ type: "RESPONSE", response: "r1" });
    actor.send({ type: "RESPONSE", response: "r2" });
    expect(state()).toBe("verifying");
    expect(calls.verify).toEqual(["r1"]);
    expect(calls.refused).toEqual(["r2"]);
  });

  it("should take nothing after it is done", () => {
    const { actor, calls } = harness();
    actor.send({ type: "ISSUED" });
    actor.send({ type: "RESPONSE", response: "r1" });
    actor.send({ type: "VERIFIED" });
    actor.send({ type: "RESPONSE", response: "r2" });
    expect(calls.verify).toEqual(["r1"]);
    expect(actor.getSnapshot().output).toMatchObject({ outcome: "done" });
  });

  it("should end refused when the response is refused", () => {
    const { actor } = harness();
    actor.send({ type: "ISSUED" });
    actor.send({ type: "RESPONSE", response: "wrong" });
    actor.send({ type: "REFUSED", error: "bad" });
    expect(actor.getSnapshot().output).toEqual({ outcome: "refused", rounds: 1, failure: "bad" });
  });

  it("should go back to awaiting on continue and take one response per round", () => {
    const { actor, calls, state } = harness();
    actor.send({ type: "ISSUED" });
    actor.send({ type: "RESPONSE", response: "round1" });
    actor.send({ type: "CONTINUE" });
    expect(state()).toBe("awaiting");
    actor.send({ type: "RESPONSE", response: "round2" });
    actor.send({ type: "RESPONSE", response: "extra" });
    actor.send({ type: "VERIFIED" });
    expect(calls.verify).toEqual(["round1", "round2"]);
    expect(calls.refused).toEqual(["extra"]);
    expect(actor.getSnapshot().output).toMatchObject({ outcome: "done", rounds: 2 });
  });

  it("should refuse a continue beyond maxRounds", () => {
    const { actor } = harness({ maxRounds: 1 });
    actor.send({ type: "ISSUED" });
    actor.send({ type: "RESPONSE", response: "r1" });
    actor.send({ type: "CONTINUE" });
    expect(actor.getSnapshot().output).toMatchObject({ outcome: "refused", rounds: 1 });
  });

  it("should answer queries while awaiting and keep the round open", () => {
    const { actor, calls, state } = harness();
    actor.send({ type: "ISSUED" });
    actor.send({ type: "QUERY", query: "key?" });
    actor.send({ type: "QUERY", query: "key2?" });
    expect(state()).toBe("awaiting");
    expect(calls.query).toEqual(["key?", "key2?"]);
    actor.send({ type: "RESPONSE", response: "signed" });
    expect(calls.verify).toEqual(["signed"]);
  });

  it("should expire after 60000 ms by default", () => {
    const { actor, clock, state } = harness();
    actor.send({ type: "ISSUED" });
    clock.increment(59_999);
    expect(state()).toBe("awaiting");
    clock.increment(1);
    expect(state()).toBe("expired");
    expect(actor.getSnapshot().output).toMatchObject({ outcome: "expired", rounds: 0 });
  });

  it("should expire after a configured expiry, and then verify nothing", () => {
    const { actor, clock, calls } = harness({ expiresInMs: 100 });
    actor.send({ type: "ISSUED" });
    clock.increment(100);
    actor.send({ type: "RESPONSE", response: "late" });
    expect(calls.verify).toEqual([]);
    expect(actor.getSnapshot().output).toMatchObject({ outcome: "expired" });
  });

  it("should expire a challenge that is never issued", () => {
    const { clock, state } = harness({ expiresInMs: 100 });
    clock.increment(100);
    expect(state()).toBe("expired");
  });

  it("should not cut short a verification in flight when the window passes", () => {
    const { actor, clock, state } = harness({ expiresInMs: 100 });
    actor.send({ type: "ISSUED" });
    clock.increment(50);
    actor.send({ type: "RESPONSE", response: "r1" });
    clock.increment(500);
    expect(state()).toBe("verifying");
    actor.send({ type: "VERIFIED" });
    expect(state()).toBe("done");
  });

  it("should give every round its full window", () => {
    const { actor, clock, state } = harness({ expiresInMs: 100 });
    actor.send({ type: "ISSUED" });
    clock.increment(90);
    actor.send({ type: "RESPONSE", response: "r1" });
    actor.send({ type: "CONTINUE" });
    clock.increment(90);
    expect(state()).toBe("awaiting");
    clock.increment(10);
    expect(state()).toBe("expired");
  });

  it("should end expired when cancelled while awaiting", () => {
    const { actor } = harness();
    actor.send({ type: "ISSUED" });
    actor.send({ type: "CANCEL" });
    expect(actor.getSnapshot().output).toMatchObject({ outcome: "expired" });
  });
});
