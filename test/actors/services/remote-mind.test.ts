/** RemoteMind's pacing and bound: notifications in order, a bounded queue, and the `dropped` notice. */
import { describe, expect, it } from "vitest";
import { RemoteMind } from "../../../actors/services/remote-mind.ts";
import { createInProcessBus } from "../../../transports/index.ts";
import type { Bus } from "../../../transports/bus.ts";

const dec = new TextDecoder();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recorder(maxPayload?: number): { bus: Bus; seen: Array<Record<string, any>> } {
  const bus = createInProcessBus(maxPayload === undefined ? {} : { maxPayload });
  const seen: Array<Record<string, any>> = [];
  bus.subscribe("mind", (m) => void seen.push(JSON.parse(dec.decode(m.data))));
  return { bus, seen };
}

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(5);
  }
}

describe("RemoteMind", () => {
  it("sends a `dropped` notice under its number for a notification over the bus's max payload, and goes on with the next ones, queued or not", async () => {
    // An outside probe: one 2.7 MB notification (NATS's max_payload is 2 MB here) closed the Mind
    // for the rest of the session, with no word of it.
    const { bus, seen } = recorder(1_000);
    const mind = new RemoteMind(bus, "mind", "S", { ratePerSecond: 1_000, burst: 3 });
    mind.notify("small", 1);
    mind.notify("big", "x".repeat(2_000));
    mind.notify("small", 2);
    // Past the burst: queued, and a queued one too large is dropped the same way.
    mind.notify("big", "x".repeat(2_000));
    mind.notify("small", 3);
    mind.end("logout");
    await bus.flush();
    expect(seen.map((m) => [m["type"], m["event"], m["data"], m["seq"]])).toEqual([
      ["notify", "small", 1, 1],
      ["notify", "dropped", { count: 1 }, 2],
      ["notify", "small", 2, 3],
      ["notify", "dropped", { count: 1 }, 4],
      ["notify", "small", 3, 5],
      ["ended", undefined, undefined, 6],
    ]);
  });

  it("publishes notifications at once, in order, while the Mind keeps up", async () => {
    const { bus, seen } = recorder();
    const mind = new RemoteMind(bus, "mind", "S");
    for (let i = 0; i < 50; i++) mind.notify("n", i);
    expect(mind.queued).toBe(0);
    await bus.flush();
    expect(seen.map((m) => m["data"])).toEqual([...Array(50).keys()]);
  });

  it("queues notifications past the burst and sends them at the configured rate, in order", async () => {
    const { bus, seen } = recorder();
    const mind = new RemoteMind(bus, "mind", "S", { ratePerSecond: 200, burst: 5, maxQueued: 100 });
    for (let i = 0; i < 25; i++) mind.notify("n", i);
    expect(mind.queued).toBe(20);
    await bus.flush();
    expect(seen).toHaveLength(5);
    await until(() => seen.length === 25);
    expect(seen.map((m) => m["data"])).toEqual([...Array(25).keys()]);
    expect(seen.some((m) => m["event"] === "dropped")).toBe(false);
  });

  it("bounds the queue under a flood and reports what it dropped once the queue drains", async () => {
    const { bus, seen } = recorder();
    const mind = new RemoteMind(bus, "mind", "S", { ratePerSecond: 1000, burst: 10, maxQueued: 100 });
    const payload = "x".repeat(100);
    const before = process.memoryUsage().heapUsed;
    let maxQueued = 0;
    for (let i = 0; i < 200_000; i++) {
      mind.notify("n", { i, payload });
      if (mind.queued > maxQueued) maxQueued = mind.queued;
    }
    expect(maxQueued).toBe(100);
    // 200k notifications of ~150 bytes would be ~30 MB if kept; the mind holds 100 of them.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(20_000_000);
    await until(() => seen.some((m) => m["event"] === "dropped"));
    const data = seen.filter((m) => m["event"] === "n").map((m) => m["data"]["i"]);
    // The burst, then the queue's 100; a token refilled while the loop ran (a busy machine) lets a later one through too.
    expect(data.slice(0, 110)).toEqual([...Array(110).keys()]);
    expect(data.length).toBeLessThan(130);
    expect(data.every((i, k) => k === 0 || i > data[k - 1])).toBe(true);
    expect(seen[seen.length - 1]).toEqual({ session: "S", type: "notify", event: "dropped", data: { count: 200_000 - data.length }, seq: data.length + 1 });
    expect(mind.queued).toBe(0);
    // After the notice the Mind is back to normal.
    mind.notify("n", { i: -1 });
    await until(() => seen[seen.length - 1]!["data"]["i"] === -1);
  });

  it("bounds the queue by bytes too", async () => {
    const { bus, seen } = recorder();
    const mind = new RemoteMind(bus, "mind", "S", { ratePerSecond: 1000, burst: 1, maxQueued: 1000, maxQueuedBytes: 1000 });
    for (let i = 0; i < 100; i++) mind.notify("n", "y".repeat(100));
    expect(mind.queuedBytes).toBeLessThanOrEqual(1000);
    expect(mind.queued).toBeLessThan(10);
    await until(() => seen.some((m) => m["event"] === "dropped"));
    const notes = seen.filter((m) => m["event"] === "n").length;
    expect(seen[seen.length - 1]!["data"]["count"]).toBe(100 - notes);
  });

  it("reports a single notification larger than the byte budget as dropped", async () => {
    const { bus, seen } = recorder();
    const mind = new RemoteMind(bus, "mind", "S", { burst: 1, maxQueuedBytes: 100 });
    mind.notify("small");
    mind.notify("big", "z".repeat(500));
    await until(() => seen.length === 2);
    expect(seen.map((m) => m["event"])).toEqual(["small", "dropped"]);
  });

  it("sends what is queued, then the dropped notice, then `ended` last when the session ends", async () => {
    const { bus, seen } = recorder();
    const mind = new RemoteMind(bus, "mind", "S", { ratePerSecond: 10, burst: 2, maxQueued: 3 });
    for (let i = 0; i < 10; i++) mind.notify("n", i);
    mind.end("logout");
    mind.notify("late");
    await bus.flush();
    expect(seen.map((m) => m["event"] ?? m["type"])).toEqual(["n", "n", "n", "n", "n", "dropped", "ended"]);
    expect(seen[5]!["data"]).toEqual({ count: 5 });
    // Numbered after the dropped notice the end flushed out.
    expect(seen[6]).toEqual({ session: "S", type: "ended", reason: "logout", seq: 7 });
  });

  it("numbers `ended` after the last number it is given (a realm service's), and leaves `seq` off when that is unknown", async () => {
    const { bus, seen } = recorder();
    new RemoteMind(bus, "mind", "S").end("logout", 5);
    new RemoteMind(bus, "mind", "T").end("timeout", null);
    await bus.flush();
    expect(seen).toEqual([
      { session: "S", type: "ended", reason: "logout", seq: 6 },
      { session: "T", type: "ended", reason: "timeout" },
    ]);
  });

  it("numbers what it publishes 1, 2, 3… without a gap for what it dropped: the dropped notice and what follows go on counting", async () => {
    const { bus, seen } = recorder();
    const mind = new RemoteMind(bus, "mind", "S", { ratePerSecond: 100, burst: 2, maxQueued: 3 });
    for (let i = 0; i < 10; i++) mind.notify("n", i);
    await until(() => seen.some((m) => m["event"] === "dropped"));
    mind.notify("after");
    await until(() => seen.some((m) => m["event"] === "after"));
    // 2 at once, 3 queued, 5 dropped (counted in the notice), then the notice and the next one.
    expect(seen.map((m) => [m["event"], m["seq"]])).toEqual([
      ["n", 1],
      ["n", 2],
      ["n", 3],
      ["n", 4],
      ["n", 5],
      ["dropped", 6],
      ["after", 7],
    ]);
    expect(seen[5]!["data"]).toEqual({ count: 5 });
  });

  it("numbers a notification too large for the byte budget with nothing: the next one takes its number", async () => {
    const { bus, seen } = recorder();
    const mind = new RemoteMind(bus, "mind", "S", { burst: 1, maxQueuedBytes: 100 });
    mind.notify("small");
    mind.notify("big", "z".repeat(500));
    await until(() => seen.length === 2);
    mind.notify("next");
    await until(() => seen.length === 3);
    expect(seen.map((m) => [m["event"], m["seq"]])).toEqual([
      ["small", 1],
      ["dropped", 2],
      ["next", 3],
    ]);
  });

  it("holds notifications while held, within the same bound, and sends them in order on resume", async () => {
    const { bus, seen } = recorder();
    const mind = new RemoteMind(bus, "mind", "S", { maxQueued: 10 });
    mind.notify("n", 0);
    mind.hold();
    for (let i = 1; i <= 15; i++) mind.notify("n", i);
    await sleep(20);
    await bus.flush();
    expect(seen.map((m) => m["data"])).toEqual([0]);
    expect(mind.queued).toBe(10);
    mind.resume();
    await until(() => seen.some((m) => m["event"] === "dropped"));
    expect(seen.filter((m) => m["event"] === "n").map((m) => m["data"])).toEqual([...Array(11).keys()]);
    expect(seen[seen.length - 1]).toMatchObject({ event: "dropped", data: { count: 5 } });
  });

  it("drops what it held when closed while held: nothing follows", async () => {
    const { bus, seen } = recorder();
    const mind = new RemoteMind(bus, "mind", "S");
    mind.hold();
    mind.notify("n", 1);
    mind.close();
    mind.resume();
    await sleep(20);
    await bus.flush();
    expect(seen).toEqual([]);
  });

  it("accepts and drops notifications when the session has no mind", async () => {
    const { bus, seen } = recorder();
    const mind = new RemoteMind(bus, null, "S", { burst: 1, maxQueued: 1 });
    for (let i = 0; i < 1000; i++) mind.notify("n", i);
    mind.end("logout");
    await bus.flush();
    expect(mind.queued).toBe(0);
    expect(seen).toEqual([]);
  });
});
