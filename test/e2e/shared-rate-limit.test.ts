/**
 * Two portals in the queue group sharing the JetStream KV rate limiter, each checking its own
 * watched copy of the bucket: a client guessing one password after another, its attempts landing
 * on either portal, is refused exactly the threshold's number of times, then rate limited.
 */
import { describe, expect, it } from "vitest";
import { InMemoryUsernamePasswordDatabaseDontUse, openKvRateLimiter, servePortal, SimpleRealm, type Credentials } from "../../actors/index.ts";
import { connectNatsBus } from "../../transports/index.ts";
import { startNatsServer } from "../support/nats-server.ts";
import { json, parse } from "../support/wire.ts";

const ACCOUNTS = 12;
const THRESHOLD = 5;

describe("the shared rate limiter across two portals", () => {
  it("limits a sequential guesser after exactly the threshold, whichever portal each guess reaches", async () => {
    const server = await startNatsServer();
    const buses = await Promise.all([1, 2, 3].map(() => connectNatsBus({ servers: server.url })));
    const [busA, busB, client] = buses as [(typeof buses)[0], (typeof buses)[0], (typeof buses)[0]];
    const checked = [0, 0];
    const portal = async (bus: typeof busA, index: number) => {
      const database = new InMemoryUsernamePasswordDatabaseDontUse();
      for (let i = 0; i < ACCOUNTS; i++) database.addUser(`user${i}`, "right");
      const counting = {
        credentialKinds: database.credentialKinds,
        requestAvatarId: (credentials: Credentials) => {
          checked[index]!++;
          return database.requestAvatarId(credentials);
        },
      };
      const rateLimiter = await openKvRateLimiter(bus, { bucket: `shared_${process.pid}`, storage: "memory", account: { threshold: THRESHOLD } });
      return servePortal(bus, { realm: new SimpleRealm(), checkers: [counting], discoverCheckers: false, rateLimiter });
    };
    const portals = await Promise.all([portal(busA, 0), portal(busB, 1)]);
    try {
      const codes: string[][] = [];
      for (let account = 0; account < ACCOUNTS; account++) {
        const seen: string[] = [];
        for (let attempt = 0; attempt <= THRESHOLD; attempt++) {
          const credentials = { kind: "username-password", username: `user${account}`, password: `guess${attempt}` };
          const reply = parse(await client.request("cred.login", json({ credentials, interfaces: ["echo"] }), { timeoutMs: 5_000 }));
          seen.push(reply.ok === true ? "ok" : String(reply.error?.code));
        }
        codes.push(seen);
      }
      const expected = [...Array<string>(THRESHOLD).fill("UnauthorizedLogin"), "RateLimited"];
      expect(codes).toEqual(Array.from({ length: ACCOUNTS }, () => expected));
      // Both portals took guesses, so counts crossed between them.
      expect(checked[0]).toBeGreaterThan(0);
      expect(checked[1]).toBeGreaterThan(0);
      expect(checked[0]! + checked[1]!).toBe(ACCOUNTS * THRESHOLD);
    } finally {
      await Promise.all(portals.map((p) => p.close()));
      await Promise.all(buses.map((bus) => bus.close()));
      await server.stop();
    }
  }, 30_000);
});
