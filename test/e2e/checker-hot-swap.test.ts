/**
 * Hot-swapping a checker while logins stream in (the deployment story): a new checker service is
 * announced, the old one stops (withdrawn, then drained), and no login fails on the way.
 */
import { describe, expect, it } from "vitest";
import { InMemoryUsernamePasswordDatabaseDontUse, serveChecker, servePortal, SimpleRealm, type Checker, type Credentials } from "../../actors/index.ts";
import { connectNatsBus } from "../../transports/index.ts";
import { startNatsServer } from "../support/nats-server.ts";
import { streamLogins } from "../support/stream-logins.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("swapping checker services under load", () => {
  it("fails no login while v2 is announced and v1 withdrawn", async () => {
    const server = await startNatsServer();
    const buses = await Promise.all([1, 2, 3, 4].map(() => connectNatsBus({ servers: server.url })));
    const [portalBus, v1Bus, v2Bus, client] = buses as [typeof buses[0], typeof buses[0], typeof buses[0], typeof buses[0]];
    const users = () => new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" });
    const v1 = await serveChecker(v1Bus, users(), { name: "v1" });
    const portal = await servePortal(portalBus, { realm: new SimpleRealm(), rateLimiter: null });
    let v2: Awaited<ReturnType<typeof serveChecker>> | undefined;
    try {
      const logins = streamLogins(client);
      await sleep(200);
      v2 = await serveChecker(v2Bus, users(), { name: "v2" });
      await sleep(200);
      await v1.stop();
      await sleep(300);
      const outcomes = await logins.stop();
      expect(outcomes.length).toBeGreaterThan(100);
      expect(outcomes.filter((o) => o !== "ok")).toEqual([]);
      expect(portal.portal.listCredentialsKinds()).toContain("username-password");
    } finally {
      await portal.close();
      await v2?.stop();
      await Promise.all(buses.map((bus) => bus.close()));
      await server.stop();
    }
  }, 20_000);
});

type Bus = Awaited<ReturnType<typeof connectNatsBus>>;
type CheckerService = Awaited<ReturnType<typeof serveChecker>>;

/** A portal and two instances of checker "pw" over a real nats-server; `run` gets instance a, its bus, and a client bus. */
async function withTwoInstances(users: () => Checker, run: (a: CheckerService, aBus: Bus, client: Bus) => Promise<void>): Promise<void> {
  const server = await startNatsServer();
  const buses = await Promise.all([1, 2, 3, 4].map(() => connectNatsBus({ servers: server.url })));
  const [portalBus, aBus, bBus, client] = buses as [Bus, Bus, Bus, Bus];
  const a = await serveChecker(aBus, users(), { name: "pw" });
  const b = await serveChecker(bBus, users(), { name: "pw" });
  const portal = await servePortal(portalBus, { realm: new SimpleRealm(), rateLimiter: null });
  try {
    await run(a, aBus, client);
  } finally {
    await portal.close();
    await b.stop();
    await Promise.all(buses.map((bus) => bus.close()));
    await server.stop();
  }
}

describe("scaling a checker service down under load", () => {
  it("fails no login when one of two instances of a checker stops", async () => {
    await withTwoInstances(
      () => new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" }),
      async (a, _aBus, client) => {
        const logins = streamLogins(client);
        await sleep(300);
        await a.stop();
        await sleep(500);
        const outcomes = await logins.stop();
        expect(outcomes.length).toBeGreaterThan(100);
        expect(outcomes.filter((o) => o !== "ok")).toEqual([]);
      },
    );
  }, 20_000);
});

describe("one of two instances of a checker killed under load", () => {
  it("fails no login: a check the killed process held is sent again to the other, about a second later rather than after the 10 s timeout", async () => {
    // Slow enough that several checks are inside the killed process when it dies.
    const slowUsers = (): Checker => {
      const users = new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" });
      return { credentialKinds: users.credentialKinds, requestAvatarId: async (c: Credentials) => (await sleep(150), users.requestAvatarId(c)) };
    };
    await withTwoInstances(slowUsers, async (_a, aBus, client) => {
      const logins = streamLogins(client, 16, 4000);
      await sleep(500);
      // As SIGKILL: no withdrawal, the connection just goes, with the checks it was running.
      await aBus.close();
      await sleep(2500);
      const outcomes = await logins.stop();
      expect(outcomes.length).toBeGreaterThan(50);
      expect(outcomes.filter((o) => o !== "ok")).toEqual([]);
    });
  }, 30_000);
});
