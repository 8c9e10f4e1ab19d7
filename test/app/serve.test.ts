/** `serve()` (behind `portcullis serve`): the checkers it is handed are the ones that check. */
import { describe, expect, it } from "vitest";
import { connect, InMemoryUsernamePasswordDatabaseDontUse, UnauthorizedLogin, UsernamePassword, type Credentials } from "../../actors/index.ts";
import { serve } from "../../app/serve.ts";
import { InProcessNetwork } from "../../transports/index.ts";
import { captureLogs } from "../support/capture-logs.ts";

describe("serve", () => {
  it("uses the checkers it is given instead of making them again from --auth", async () => {
    const network = new InProcessNetwork();
    const given = new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" });
    let checks = 0;
    const counting = Object.assign(Object.create(given) as InMemoryUsernamePasswordDatabaseDontUse, {
      requestAvatarId: (c: Credentials) => (checks++, given.requestAvatarId(c)),
    });
    const { lines, logger } = captureLogs();
    // The --auth line names another password: a checker made from it would accept "other".
    const server = await serve(network.connect(), {
      auth: ["memory:alice:other"],
      checkers: [counting],
      logger,
      rateLimiter: null,
    });
    try {
      const client = connect(network.connect());
      const session = await client.login(new UsernamePassword("alice", "secret"), { interfaces: ["echo"] });
      expect(checks).toBe(1);
      await session.logout();
      await expect(client.login(new UsernamePassword("alice", "other"), { interfaces: ["echo"] })).rejects.toBeInstanceOf(UnauthorizedLogin);
      expect(checks).toBe(2);
      // Nor registered beneath the given one: two checkers of one kind are logged as shadowing.
      expect(lines.filter((line) => line.includes("checker-shadowed"))).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
