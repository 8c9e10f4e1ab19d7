/**
 * A portal leaving its queue group while logins stream in (scale-down, rolling restart): every
 * login sent still gets a successful answer, from it or from the portal that stays.
 */
import { describe, expect, it } from "vitest";
import { InMemoryUsernamePasswordDatabaseDontUse, servePortal, SimpleRealm } from "../../actors/index.ts";
import { connectNatsBus } from "../../transports/index.ts";
import { startNatsServer } from "../support/nats-server.ts";
import { json, parse } from "../support/wire.ts";

const LOGIN = json({ credentials: { kind: "username-password", username: "alice", password: "pw" }, interfaces: ["echo"] });

describe("closing one of two portals under load", () => {
  it("loses no login: none times out, none is refused", async () => {
    const server = await startNatsServer();
    const buses = await Promise.all([1, 2, 3].map(() => connectNatsBus({ servers: server.url })));
    const [busA, busB, client] = buses as [typeof buses[0], typeof buses[0], typeof buses[0]];
    const portal = (bus: typeof busA) =>
      servePortal(bus, { realm: new SimpleRealm(), checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" })], discoverCheckers: false, rateLimiter: null });
    const [a, b] = await Promise.all([portal(busA), portal(busB)]);
    try {
      const outcomes: string[] = [];
      let stop = false;
      const workers = Array.from({ length: 32 }, async () => {
        while (!stop) {
          try {
            const reply = parse(await client.request("cred.login", LOGIN, { timeoutMs: 3000 }));
            outcomes.push(reply.ok === true ? "ok" : `refused ${reply.error?.code}`);
          } catch (error) {
            outcomes.push(`lost ${(error as Error).name}`);
          }
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await a.close();
      await new Promise((resolve) => setTimeout(resolve, 300));
      stop = true;
      await Promise.all(workers);
      expect(outcomes.length).toBeGreaterThan(100);
      expect(outcomes.filter((o) => o !== "ok")).toEqual([]);
    } finally {
      await b.close();
      await Promise.all(buses.map((bus) => bus.close()));
      await server.stop();
    }
  }, 20_000);
});
