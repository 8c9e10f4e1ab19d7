/** HashGate (actors/hashing/hash-gate.ts): how many slow hashes run at once, in what order, and what every built-in hasher goes through. */
import { readFile } from "node:fs/promises";
import { describe, expect, it, vi } from "vitest";
import { argon2id, bcrypt, defaultHashGate, HashGate, LoginFailed, scrypt, threadPoolSize, type PasswordHasher } from "../../../actors/index.ts";
import { DEFAULT_MAX_WAIT_MS, OVERLOADED_MESSAGE } from "../../../actors/hashing/hash-gate.ts";

/** A hash that finishes when the test says so, recording when it started. */
function controlled(log: string[], name: string) {
  let finish!: (value: string) => void;
  let fail!: (error: Error) => void;
  const run = () => {
    log.push(`start ${name}`);
    return new Promise<string>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
  };
  return { run, finish: (v = name) => finish(v), fail: (e: Error) => fail(e) };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("HashGate", () => {
  it("runs at most `limit` hashes at once and starts the waiting ones in arrival order", async () => {
    const gate = new HashGate(2);
    const log: string[] = [];
    const hashes = ["a", "b", "c", "d"].map((n) => controlled(log, n));
    const results = hashes.map((h) => gate.run(h.run));
    await tick();
    expect(log).toEqual(["start a", "start b"]);
    expect(gate.load).toEqual({ running: 2, waiting: 2 });

    hashes[1]!.finish();
    await tick();
    expect(log).toEqual(["start a", "start b", "start c"]);
    hashes[0]!.finish();
    await tick();
    expect(log).toEqual(["start a", "start b", "start c", "start d"]);
    hashes[2]!.finish();
    hashes[3]!.finish();
    await expect(Promise.all(results)).resolves.toEqual(["a", "b", "c", "d"]);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  it("serves the newest waiter first once the oldest has waited lifoAfterMs (a standing queue), so fresh logins are answered in time", async () => {
    const gate = new HashGate(1, { maxWaitMs: 10_000, lifoAfterMs: 50 });
    const log: string[] = [];
    const [blocker, a, b, c] = ["blocker", "a", "b", "c"].map((n) => controlled(log, n));
    const results = [gate.run(blocker!.run), gate.run(a!.run)];
    await new Promise((resolve) => setTimeout(resolve, 60));
    results.push(gate.run(b!.run), gate.run(c!.run));
    blocker!.finish();
    await tick();
    // a has waited past 50 ms: the queue is standing, the newest goes first.
    expect(log).toEqual(["start blocker", "start c"]);
    c!.finish();
    await tick();
    expect(log).toEqual(["start blocker", "start c", "start b"]);
    b!.finish();
    await tick();
    a!.finish();
    await expect(Promise.all(results)).resolves.toEqual(["blocker", "a", "b", "c"]);
    expect(log).toEqual(["start blocker", "start c", "start b", "start a"]);
  });

  it("keeps arrival order while no waiter has waited lifoAfterMs, and by default a tenth of maxWaitMs is that limit", async () => {
    const gate = new HashGate(1, { maxWaitMs: 10_000 });
    const log: string[] = [];
    const hashes = ["blocker", "a", "b", "c"].map((n) => controlled(log, n));
    const results = hashes.map((h) => gate.run(h.run));
    for (const h of hashes) {
      await tick();
      h.finish();
    }
    await Promise.all(results);
    expect(log).toEqual(["start blocker", "start a", "start b", "start c"]);
    expect(() => new HashGate(1, { lifoAfterMs: -1 })).toThrow(RangeError);
  });

  it("refuses, LoginFailed 'overloaded', a hash that waited longer than maxWaitMs, never starts it, and gives its turn to the next", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const gate = new HashGate(1, { maxWaitMs: 100 });
      const log: string[] = [];
      const [a, b, c] = ["a", "b", "c"].map((n) => controlled(log, n)) as [ReturnType<typeof controlled>, ReturnType<typeof controlled>, ReturnType<typeof controlled>];
      const first = gate.run(a.run);
      const second = gate.run(b.run);
      vi.advanceTimersByTime(60);
      const third = gate.run(c.run);
      expect(gate.load).toEqual({ running: 1, waiting: 2 });
      vi.advanceTimersByTime(50); // b has waited 110 ms, c 50 ms
      await expect(second).rejects.toThrow(new LoginFailed(OVERLOADED_MESSAGE));
      expect(gate.load).toEqual({ running: 1, waiting: 1 });
      a.finish();
      await first;
      await tick();
      // b's turn came after it was refused: skipped, c runs.
      expect(log).toEqual(["start a", "start c"]);
      vi.advanceTimersByTime(1000); // c started in time: its wait no longer counts
      c.finish();
      await expect(third).resolves.toBe("c");
      expect(gate.load).toEqual({ running: 0, waiting: 0 });
    } finally {
      vi.useRealTimers();
    }
  });

  it("sheds after 5 s of waiting unless told otherwise, the built-in hashers' default gate and one made with only a limit alike, and refuses a bad maxWaitMs", () => {
    expect(DEFAULT_MAX_WAIT_MS).toBe(5_000);
    expect(defaultHashGate.maxWaitMs).toBe(5_000);
    // A gate made to choose another limit keeps the overload protection (an outside newcomer's
    // `new HashGate(8)`, as docs/checkers.md said to write, queued for ever).
    expect(new HashGate(8).maxWaitMs).toBe(5_000);
    expect(new HashGate(1, { maxWaitMs: Number.POSITIVE_INFINITY }).maxWaitMs).toBe(Number.POSITIVE_INFINITY);
    for (const maxWaitMs of [-1, Number.NaN, 2 ** 31, Number.NEGATIVE_INFINITY]) expect(() => new HashGate(1, { maxWaitMs })).toThrow(RangeError);
  });

  it("frees the slot of a hash that rejects or throws, and hands its caller the error", async () => {
    const gate = new HashGate(1);
    const log: string[] = [];
    const failing = controlled(log, "failing");
    const first = gate.run(failing.run);
    const throwing = gate.run(() => {
      throw new Error("thrown synchronously");
    });
    const last = controlled(log, "last");
    const third = gate.run(last.run);
    failing.fail(new Error("rejected"));
    await expect(first).rejects.toThrow("rejected");
    await expect(throwing).rejects.toThrow("thrown synchronously");
    await tick();
    expect(log).toEqual(["start failing", "start last"]);
    last.finish();
    await expect(third).resolves.toBe("last");
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  it("drains a long queue completely", async () => {
    const gate = new HashGate(3);
    let running = 0;
    let most = 0;
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        gate.run(async () => {
          running++;
          most = Math.max(most, running);
          await tick();
          running--;
          return i;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(most).toBe(3);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  it.each([0, -1, 1.5, Number.NaN])("refuses the limit %s", (limit) => {
    expect(() => new HashGate(limit)).toThrow(RangeError);
  });

  it("defaults to all but one of libuv's threads, so file reads and DNS always find one free", () => {
    expect(defaultHashGate.limit).toBe(Math.max(1, threadPoolSize() - 1));
  });

  it.each([
    [undefined, 4],
    ["8", 8],
    ["1", 1],
    ["0", 1],
    ["5000", 1024],
    ["lots", 4],
  ])("reads UV_THREADPOOL_SIZE=%s as libuv does: %i threads", (value, threads) => {
    expect(threadPoolSize(value === undefined ? {} : { UV_THREADPOOL_SIZE: value })).toBe(threads);
  });
});

describe("the built-in hashers go through their gate", () => {
  it.each([
    ["argon2id", (gate: HashGate) => argon2id({ memoryCost: 1024, timeCost: 1 }, { gate })],
    ["scrypt", (gate: HashGate) => scrypt({ ln: 4 }, { gate })],
    ["bcrypt", (gate: HashGate) => bcrypt({ cost: 4 }, { gate })],
  ] as const)("%s: hashes and verifies one at a time through a gate of 1", async (_name, make) => {
    const gate = new HashGate(1);
    const hasher: PasswordHasher = make(gate);
    const stored = await hasher.hash("secret");
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
    const verdicts = ["secret", "wrong", "secret", "wrong"].map((pw) => hasher.verify(stored, pw));
    // One verify holds the only slot; the other three wait in the gate, not in libuv's queue.
    expect(gate.load).toEqual({ running: 1, waiting: 3 });
    await expect(Promise.all(verdicts)).resolves.toEqual([true, false, true, false]);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });
});

describe("a burst of hashes leaves libuv's thread pool to file reads", () => {
  /** How many of `count` queued verifies finished before a file read queued after them did. */
  async function verifiesBeforeRead(gate: HashGate, count: number): Promise<number> {
    const hasher = argon2id({}, { gate });
    const stored = await hasher.hash("secret");
    let finished = 0;
    const verifies = Array.from({ length: count }, () => hasher.verify(stored, "secret").then(() => finished++));
    const read = readFile(import.meta.filename).then(() => finished);
    const before = await read;
    await Promise.all(verifies);
    return before;
  }

  it("answers a file read while the burst is still hashing, through the default gate's free thread", async () => {
    // The default leaves one of the pool's threads to I/O, so the read does not queue behind hashes.
    expect(await verifiesBeforeRead(new HashGate(Math.max(1, threadPoolSize() - 1)), 24)).toBeLessThanOrEqual(4);
  });

  it("control: without a gate the read waits behind most of the burst", async () => {
    expect(await verifiesBeforeRead(new HashGate(64), 24)).toBeGreaterThanOrEqual(16);
  });
});
