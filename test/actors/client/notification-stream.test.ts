/** NotificationStream: one `for await` reader of a session's notifications. */
import { describe, expect, it } from "vitest";
import { NotificationStream } from "../../../actors/client/notification-stream.ts";

const note = (i: number) => ({ event: "n", data: i });

describe("NotificationStream", () => {
  it("yields pushed notifications in order and ends after what is buffered when ended", async () => {
    const stream = new NotificationStream(() => undefined);
    stream.push(note(1));
    stream.push(note(2));
    stream.end();
    stream.push(note(3));
    const seen: unknown[] = [];
    for await (const n of stream) seen.push(n.data);
    expect(seen).toEqual([1, 2]);
  });

  it("wakes a waiting reader", async () => {
    const stream = new NotificationStream(() => undefined);
    const next = stream.next();
    stream.push(note(7));
    expect(await next).toEqual({ value: note(7), done: false });
  });

  it("drops past its limit and reports the count once the reader catches up", async () => {
    const stream = new NotificationStream(() => undefined, 3);
    for (let i = 0; i < 10; i++) stream.push(note(i));
    stream.end();
    const seen: unknown[] = [];
    for await (const n of stream) seen.push(n);
    expect(seen).toEqual([note(0), note(1), note(2), { event: "dropped", data: { count: 7 } }]);
  });

  it("tells its owner when the reader leaves the loop", async () => {
    let left = false;
    const stream = new NotificationStream(() => (left = true));
    stream.push(note(1));
    stream.push(note(2));
    for await (const _ of stream) break;
    expect(left).toBe(true);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });
});
