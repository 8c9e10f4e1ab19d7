/** LoginSession's activity coalescing: a busy session does not pay a saga transition per call. */
import { describe, expect, it } from "vitest";
import type { InspectionEvent } from "xstate";
import { AllowAnonymousAccess, Anonymous, Portal } from "../../actors/index.ts";
import { TestRealm } from "../support/test-realm.ts";

const activities = (events: InspectionEvent[]) =>
  events.filter((e) => e.type === "@xstate.event" && (e as { event: { type: string } }).event.type === "ACTIVITY").length;

describe("LoginSession.touch", () => {
  it("forwards one ACTIVITY per tenth of the session timer, however many calls arrive", async () => {
    const events: InspectionEvent[] = [];
    const portal = new Portal(new TestRealm(), [new AllowAnonymousAccess()], { timeouts: { sessionMs: 500 }, inspect: (e) => events.push(e) });
    const session = portal.openSession(new Anonymous(), null, ["test.Testable"]);
    await session.ready;
    for (let i = 0; i < 100; i++) session.touch();
    expect(activities(events)).toBe(1);
    await new Promise((r) => setTimeout(r, 60));
    session.touch();
    expect(activities(events)).toBe(2);
    await session.logout();
  });

  it("forwards every touch when the session never times out (the library face)", async () => {
    const events: InspectionEvent[] = [];
    const portal = new Portal(new TestRealm(), [new AllowAnonymousAccess()], { inspect: (e) => events.push(e) });
    const session = portal.openSession(new Anonymous(), null, ["test.Testable"]);
    await session.ready;
    for (let i = 0; i < 5; i++) session.touch();
    expect(activities(events)).toBe(5);
    await session.logout();
  });
});

describe("LoginSession.hold", () => {
  const held = (events: InspectionEvent[]) =>
    events.filter((e) => e.type === "@xstate.event" && (e as { event: { type: string } }).event.type === "HOLD").length;

  it("never shortens a session's timeout, and keeps one whose timeout is nearer than the grace that long", async () => {
    const events: InspectionEvent[] = [];
    const portal = new Portal(new TestRealm(), [new AllowAnonymousAccess()], { timeouts: { sessionMs: 300 }, inspect: (e) => events.push(e) });
    const session = portal.openSession(new Anonymous(), null, ["test.Testable"]);
    await session.ready;
    // 300 ms ahead: a hold of 100 ms changes nothing.
    session.hold(100);
    expect(held(events)).toBe(0);
    await new Promise((r) => setTimeout(r, 265));
    // Under 50 ms left: held 100 ms from now, past the window's end.
    session.hold(100);
    expect(held(events)).toBe(1);
    session.hold(100);
    expect(held(events)).toBe(1);
    await new Promise((r) => setTimeout(r, 80));
    expect(session.actor.getSnapshot().value).toBe("active");
    const ended = await session.ended;
    expect(ended.reason).toBe("timeout");
  });

  it("gives way to the next activity, forwarded whatever the coalescing: a whole window again", async () => {
    const portal = new Portal(new TestRealm(), [new AllowAnonymousAccess()], { timeouts: { sessionMs: 300 } });
    const session = portal.openSession(new Anonymous(), null, ["test.Testable"]);
    await session.ready;
    await new Promise((r) => setTimeout(r, 280));
    session.hold(50);
    session.touch();
    await new Promise((r) => setTimeout(r, 150));
    expect(session.actor.getSnapshot().value).toBe("active");
    await session.logout();
  });
});
