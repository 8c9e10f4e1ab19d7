/** A client process that dies: its session ends with `timeout` within the heartbeat window and its avatar is logged out. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { InMemoryUsernamePasswordDatabaseDontUse, servePortal } from "../../actors/index.ts";
import { connectNatsBus } from "../../transports/index.ts";
import { startNatsServer } from "../support/nats-server.ts";
import { TestRealm } from "../support/test-realm.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const HEARTBEAT_MS = 300;

describe("a client process that dies", () => {
  it("keeps its session alive while it pings, then ends it within 3 × heartbeatMs + 1 s of its death", async () => {
    const server = await startNatsServer();
    const bus = await connectNatsBus({ servers: server.url });
    const realm = new TestRealm();
    const portal = await servePortal(bus, { realm, checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" })], heartbeatMs: HEARTBEAT_MS });
    const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/login-and-wait.ts", server.url], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    try {
      const id = await new Promise<string>((resolve) => child.stdout!.once("data", (c) => resolve(String(c).trim())));
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      // Alive well past the timeout: the SDK's own heartbeats keep it so.
      await new Promise((r) => setTimeout(r, HEARTBEAT_MS * 4));
      expect(portal.sessions).toBe(1);
      child.kill("SIGKILL");
      const killedAt = Date.now();
      while (portal.sessions > 0 && Date.now() - killedAt < 5000) await new Promise((r) => setTimeout(r, 10));
      expect(portal.sessions).toBe(0);
      expect(Date.now() - killedAt).toBeLessThanOrEqual(3 * HEARTBEAT_MS + 1000);
      expect(realm.avatars[0]!.logouts).toBe(1);
    } finally {
      child.kill("SIGKILL");
      await portal.close();
      await bus.close();
      await server.stop();
    }
  }, 20_000);
});
