/** KvRateLimiter on a real nats-server with JetStream: the shared contract, and no lost counts between portals. */
import { jetstreamManager } from "@nats-io/jetstream";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FailureRecord } from "../../../actors/rate-limit/backoff.ts";
import { InMemoryUsernamePasswordDatabaseDontUse, servePortal, SimpleRealm } from "../../../actors/index.ts";
import { openKvRateLimiter } from "../../../actors/rate-limit/kv.ts";
import { countedKeys, policiesOf } from "../../../actors/rate-limit/rate-limiter.ts";
import { openKvStore } from "../../../transports/kv.ts";
import { connectNatsBus, type NatsBus } from "../../../transports/nats.ts";
import { startNatsServer, type NatsServerHandle } from "../../support/nats-server.ts";
import { ManualClock, rateLimiterContract } from "./rate-limiter.contract.ts";

let server: NatsServerHandle;
let buses: NatsBus[] = [];
let buckets = 0;
const bucket = () => `rate_test_${process.pid}_${++buckets}`;

beforeAll(async () => {
  server = await startNatsServer();
  buses = await Promise.all([1, 2, 3].map(() => connectNatsBus({ servers: server.url })));
});
afterAll(async () => {
  await Promise.all(buses.map((bus) => bus.close()));
  await server?.stop();
});

// A fresh bucket per test: counts must not leak between them.
rateLimiterContract("NATS KV", (options) => openKvRateLimiter(buses[0]!, { ...options, bucket: bucket(), storage: "memory" }));

/** The stored record of a key, read on its own connection. */
async function stored(bus: NatsBus, name: string, keys: { account?: string; source?: string }): Promise<FailureRecord[]> {
  const store = await openKvStore<FailureRecord>(bus, { bucket: name });
  const ids = countedKeys(keys, policiesOf({}));
  return Promise.all(ids.map(async ({ id }) => (await store.get(id))!.value));
}

async function eventually<T>(read: () => Promise<T>, expected: T, ms = 2_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value === expected || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("KvRateLimiter", () => {
  it("should go on limiting in this process when its bucket can be read but not written (a permission missing): the failures it cannot store are counted here", async () => {
    // A user that may ask JetStream anything but not publish to `$KV.>`: every write fails, every read works.
    const config = join(mkdtempSync(join(tmpdir(), "portcullis-kv-readonly-")), "readonly.conf");
    writeFileSync(
      config,
      `authorization { users = [
        { user: admin, password: admin-pw }
        { user: reader, password: reader-pw, permissions: { publish: { allow: ["$JS.API.>", "_INBOX.>"] }, subscribe: { allow: ["_INBOX.>"] } } }
      ] }\n`,
    );
    const readOnly = await startNatsServer({ config });
    const admin = await connectNatsBus({ servers: readOnly.url, user: "admin", pass: "admin-pw" });
    const reader = await connectNatsBus({ servers: readOnly.url, user: "reader", pass: "reader-pw" });
    try {
      const name = bucket();
      // The bucket exists (made by a user that may), as a deployment's would.
      await openKvRateLimiter(admin, { bucket: name, storage: "memory" });
      const limiter = await openKvRateLimiter(reader, { bucket: name, storage: "memory", account: { threshold: 3 } });
      const keys = { account: "alice" };
      for (let i = 0; i < 3; i++) {
        expect(await limiter.check(keys)).toBe(0);
        await expect(limiter.failed(keys)).rejects.toThrow();
      }
      // Three refusals the bucket never took: this process still holds the account back.
      expect(await limiter.check(keys)).toBeGreaterThan(0);
      // A success resets what this process counted, as it resets the shared record.
      await limiter.succeeded(keys).catch(() => undefined);
      expect(await limiter.check(keys)).toBe(0);
    } finally {
      await reader.close();
      await admin.close();
      await readOnly.stop();
    }
  });

  it("should hold against a burst of logins for one account sent at once over NATS: ten checked, the rest RateLimited, the right password among them too", async () => {
    // An outside probe: 199 wrong passwords and the right one, sent at once to `serve`, were all
    // checked, and the right one opened a session.
    const limiter = await openKvRateLimiter(buses[0]!, { bucket: bucket(), storage: "memory" });
    const portal = await servePortal(buses[0]!, {
      realm: new SimpleRealm(),
      checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ carol: "secret" })],
      rateLimiter: limiter,
      discoverCheckers: false,
      prefix: `burst${buckets}`,
    });
    try {
      const passwords = [...Array.from({ length: 99 }, () => "wrong"), "secret"];
      const replies = await Promise.all(
        passwords.map(async (password) => {
          const body = { credentials: { kind: "username-password", username: "carol", password }, interfaces: ["echo"] };
          const reply = JSON.parse(new TextDecoder().decode(await buses[1]!.request(`burst${buckets}.login`, new TextEncoder().encode(JSON.stringify(body)), { timeoutMs: 10_000 })));
          return reply.ok === true ? "ok" : (reply.error.code as string);
        }),
      );
      expect(replies.filter((r) => r === "UnauthorizedLogin")).toHaveLength(10);
      expect(replies.filter((r) => r === "RateLimited")).toHaveLength(90);
      expect(replies.at(-1)).toBe("RateLimited");
    } finally {
      await portal.close();
    }
  });

  it("should lose no count when two portals record failures concurrently", async () => {
    const name = bucket();
    const clock = new ManualClock();
    const [a, b] = await Promise.all(
      [buses[0]!, buses[1]!].map((bus) => openKvRateLimiter(bus, { bucket: name, storage: "memory", now: clock.now })),
    );
    const N = 40;
    const keys = { account: "alice", source: "10.0.0.1" };
    await Promise.all(Array.from({ length: N }, (_, i) => (i % 2 === 0 ? a! : b!).failed(keys)));
    const records = await stored(buses[2]!, name, keys);
    expect(records.map((r) => r.failures)).toEqual([N, N]);
    expect(await a!.check({ account: "alice" })).toBe(15 * 60_000);
  });

  it("should share counts and resets between portals", async () => {
    const name = bucket();
    const clock = new ManualClock();
    const [a, b] = await Promise.all(
      [buses[0]!, buses[1]!].map((bus) => openKvRateLimiter(bus, { bucket: name, storage: "memory", now: clock.now })),
    );
    for (let i = 0; i < 10; i++) await (i % 2 ? a! : b!).failed({ account: "alice" });
    // Each checks a copy of the bucket that its watch keeps current: another portal's write arrives within milliseconds.
    expect(await eventually(() => a!.check({ account: "alice" }), 1000)).toBe(1000);
    expect(await eventually(() => b!.check({ account: "alice" }), 1000)).toBe(1000);
    await a!.check({ account: "alice" });
    await a!.succeeded({ account: "alice" });
    expect(await eventually(() => b!.check({ account: "alice" }), 0)).toBe(0);
    await b!.failed({ account: "alice" });
    expect((await stored(buses[2]!, name, { account: "alice" }))[0]!.failures).toBe(1);
  });

  it("should write nothing to the bucket for a successful login whose account had no failures (a delete per login halved serve's login rate)", async () => {
    const name = bucket();
    const limiter = await openKvRateLimiter(buses[0]!, { bucket: name, storage: "memory" });
    const keys = { account: "alice" };
    expect(await limiter.check(keys)).toBe(0);
    await limiter.succeeded(keys);
    const jsm = await jetstreamManager(buses[1]!.connection);
    expect((await jsm.streams.info(`KV_${name}`)).state.messages).toBe(0);
    // An account with failures is still reset by a success.
    await limiter.failed(keys);
    const again = { account: "alice" };
    await limiter.check(again);
    await limiter.succeeded(again);
    const store = await openKvStore<FailureRecord>(buses[2]!, { bucket: name });
    expect(await store.get(countedKeys(keys, policiesOf({}))[0]!.id)).toBeNull();
  });

  it("should check an account without failures from its copy, and one with failures from JetStream itself (the copy may lag another portal's latest)", async () => {
    const name = bucket();
    const a = await openKvRateLimiter(buses[0]!, { bucket: name, storage: "memory" });
    const b = await openKvRateLimiter(buses[1]!, { bucket: name, storage: "memory" });
    await b.failed({ account: "mallory" });
    let requests = 0;
    const monitor = buses[2]!.subscribe("$JS.API.>", () => void requests++);
    await buses[2]!.flush();
    try {
      expect(await a.check({ account: "alice" })).toBe(0);
      await buses[0]!.flush();
      await buses[2]!.flush();
      expect(requests).toBe(0);
      // Once the copy holds mallory's record, each check of mallory asks JetStream.
      const asked = await eventually(async () => {
        requests = 0;
        await a.check({ account: "mallory" });
        await buses[0]!.flush();
        await buses[2]!.flush();
        return requests;
      }, 1);
      expect(asked).toBe(1);
      requests = 0;
      for (let i = 0; i < 9; i++) {
        await b.failed({ account: "mallory" });
        // Right after the write at b, a's check is exact: 10 failures start the 1 s backoff.
        const wait = await a.check({ account: "mallory" });
        if (i < 8) expect(wait).toBe(0);
        else expect(wait).toBeGreaterThan(900);
      }
    } finally {
      monitor.unsubscribe();
    }
  });

  it("should treat garbage in the bucket as no failures, and overwrite it", async () => {
    const name = bucket();
    const limiter = await openKvRateLimiter(buses[0]!, { bucket: name, storage: "memory" });
    const raw = await openKvStore<string>(buses[1]!, {
      bucket: name,
      codec: { encode: (s) => new TextEncoder().encode(s), decode: (d) => new TextDecoder().decode(d) },
    });
    const id = countedKeys({ account: "alice" }, policiesOf({}))[0]!.id;
    await raw.create(id, "{not json");
    expect(await limiter.check({ account: "alice" })).toBe(0);
    await limiter.failed({ account: "alice" });
    expect((await stored(buses[2]!, name, { account: "alice" }))[0]!.failures).toBe(1);
  });

  it("should give the bucket a TTL of the longest forgetAfterMs", async () => {
    const name = bucket();
    await openKvRateLimiter(buses[0]!, { bucket: name, storage: "memory", source: { forgetAfterMs: 7_200_000 } });
    // JetStream's own API, over the plain bus: the stream behind the bucket, max_age in nanoseconds.
    const reply = await buses[0]!.request(`$JS.API.STREAM.INFO.KV_${name}`, new Uint8Array());
    const info = JSON.parse(new TextDecoder().decode(reply)) as { config: { max_age: number } };
    expect(info.config.max_age).toBe(7_200_000 * 1_000_000);
  });
});
