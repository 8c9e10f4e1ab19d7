/** DrainQueue: at most `limit` drains in flight, the rest in order, every one settled. */
import { describe, expect, it } from "vitest";
import { DrainQueue } from "../../transports/drain-queue.ts";

describe("DrainQueue", () => {
  it("runs at most `limit` drains at once and starts the waiting ones in the order they came", async () => {
    const queue = new DrainQueue(3);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const done = Array.from({ length: 10 }, (_, i) =>
      queue.run(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await new Promise((resolve) => setTimeout(resolve, 1));
        running--;
      }),
    );
    expect(queue.pending).toBe(10);
    await Promise.all(done);
    expect(most).toBe(3);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(queue.pending).toBe(0);
  });

  it("frees the slot of a drain that fails, and resolves its caller anyway", async () => {
    const queue = new DrainQueue(1);
    const failing = queue.run(() => Promise.reject(new Error("connection closed")));
    let ran = false;
    const next = queue.run(async () => {
      ran = true;
    });
    await expect(failing).resolves.toBeUndefined();
    await next;
    expect(ran).toBe(true);
  });
});

describe("DrainQueue.idle", () => {
  it("resolves once every drain, waiting ones included, has run", async () => {
    const queue = new DrainQueue(2);
    let finished = 0;
    for (let i = 0; i < 5; i++) {
      void queue.run(async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        finished++;
      });
    }
    await queue.idle();
    expect(finished).toBe(5);
    await expect(queue.idle()).resolves.toBeUndefined();
  });
});
