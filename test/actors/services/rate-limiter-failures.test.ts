/** What `servePortal` logs when its rate limiter fails: the step that failed, once per 10 s however many logins meet it. */
import { describe, expect, it } from "vitest";
import { InMemoryUsernamePasswordDatabaseDontUse, servePortal, SimpleRealm } from "../../../actors/index.ts";
import type { Logger } from "../../../actors/logger.ts";
import type { RateLimiter } from "../../../actors/rate-limit/rate-limiter.ts";
import { createInProcessBus } from "../../../transports/index.ts";
import { json, parse } from "../../support/wire.ts";

function recordingLogger(lines: Array<{ level: string; message: string | undefined; fields: Record<string, unknown> }>): Logger {
  const at = (level: string) => (fields: Record<string, unknown>, message?: string) => void lines.push({ level, message, fields });
  const logger: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), child: () => logger };
  return logger;
}

const login = (password: string) => json({ credentials: { kind: "username-password", username: "alice", password }, interfaces: ["echo"] });

describe("servePortal's rate limiter failures", () => {
  const down: RateLimiter = { check: () => Promise.reject(new Error("store down")), failed: async () => undefined, succeeded: async () => undefined };
  const readOnly: RateLimiter = { check: async () => 0, failed: () => Promise.reject(new Error("store read-only")), succeeded: async () => undefined };

  it.each([
    ["check", "rate limiter failed; refusing logins", down],
    ["record", "rate limiter could not record a login's outcome; logins go on, limited by this process's own count", readOnly],
  ] as const)("logs a failing %s once, at error level, for 20 logins that meet it", async (_step, message, limiter) => {
    const bus = createInProcessBus();
    const lines: Array<{ level: string; message: string | undefined; fields: Record<string, unknown> }> = [];
    const portal = await servePortal(bus, {
      realm: new SimpleRealm(),
      checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })],
      rateLimiter: limiter,
      logger: recordingLogger(lines),
    });
    try {
      for (let i = 0; i < 20; i++) {
        const reply = parse(await bus.request("cred.login", login("wrong")));
        expect(reply["ok"]).toBe(false);
      }
      const logged = lines.filter((line) => line.message === message);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ level: "error", fields: { err: expect.stringContaining("Error: store") } });
    } finally {
      await portal.close();
      await bus.close();
    }
  });
});
