/**
 * A portal leaving its queue group while logins stream in (scale-down, rolling restart): every
 * login sent still gets a successful answer, from it or from the portal that stays.
 */
import { describe, expect, it } from "vitest";
import { InMemoryUsernamePasswordDatabaseDontUse, servePortal, SimpleRealm } from "../../actors/index.ts";
import { connectNatsBus } from "../../transports/index.ts";
import { startNatsServer } from "../support/nats-server.ts";
import { streamLogins } from "../support/stream-logins.ts";

describe("closing one of two portals under load", () => {
  it("loses no login: none times out, none is refused", async () => {
    const server = await startNatsServer();
    const buses = await Promise.all([1, 2, 3].map(() => connectNatsBus({ servers: server.url })));
    const [busA, busB, client] = buses as [typeof buses[0], typeof buses[0], typeof buses[0]];
    const portal = (bus: typeof busA) =>
      servePortal(bus, { realm: new SimpleRealm(), checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" })], discoverCheckers: false, rateLimiter: null });
    const [a, b] = await Promise.all([portal(busA), portal(busB)]);
    try {
      const logins = streamLogins(client);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await a.close();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const outcomes = await logins.stop();
      expect(outcomes.length).toBeGreaterThan(100);
      expect(outcomes.filter((o) => o !== "ok")).toEqual([]);
    } finally {
      await b.close();
      await Promise.all(buses.map((bus) => bus.close()));
      await server.stop();
    }
  }, 20_000);
});
