/** `serve()` (behind `portcullis serve`): the checkers it is handed are the ones that check. */
import { describe, expect, it } from "vitest";
import { connect, InMemoryUsernamePasswordDatabaseDontUse, UsernamePassword, type Credentials } from "../../actors/index.ts";
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
    const server = await serve(network.connect(), {
      auth: ["memory:alice:secret"],
      checkers: [counting],
      logger: captureLogs().logger,
      rateLimiter: null,
    });
    try {
      const session = await connect(network.connect()).login(new UsernamePassword("alice", "secret"), { interfaces: ["echo"] });
      expect(checks).toBe(1);
      await session.logout();
    } finally {
      await server.close();
    }
  });
});
