/** Logging: one structured line per login outcome, and no secret in any line. */
import { describe, expect, it } from "vitest";
import { AllowAnonymousAccess, connect, InMemoryUsernamePasswordDatabaseDontUse, servePortal, SimpleRealm } from "../../actors/index.ts";
import { captureLogs } from "../support/capture-logs.ts";
import { InProcessNetwork } from "../../transports/index.ts";

const capture = () => captureLogs();

describe("logging", () => {
  it("writes one line per login outcome with avatarId, kind, outcome and duration, and never a password", async () => {
    const { lines, logger } = capture();
    const network = new InProcessNetwork();
    const service = await servePortal(network.connect(), {
      realm: new SimpleRealm(),
      checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "correct-horse" }), new AllowAnonymousAccess()],
      logger,
    });
    const client = connect(network.connect());
    const session = await client.login({ kind: "username-password", username: "alice", password: "correct-horse" }, { interfaces: ["echo"] });
    await client.login({ kind: "username-password", username: "alice", password: "battery-staple" }, { interfaces: ["echo"] }).catch(() => undefined);
    await client.login({ kind: "anonymous" }, { interfaces: ["echo"] });
    await client.login({ kind: "x-custom", secret: "s3cr3t-token-value" }, { interfaces: ["echo"] }).catch(() => undefined);
    await session.logout();
    await service.close();
    const records = lines.map((l) => JSON.parse(l));
    const logins = records.filter((r) => r.event === "login");
    expect(logins.map((r) => [r.outcome, r.kind])).toEqual([
      ["ok", "username-password"],
      ["refused", "username-password"],
      ["ok", "anonymous"],
      ["refused", "x-custom"],
    ]);
    expect(logins[0]).toMatchObject({ avatarId: "alice", durationMs: expect.any(Number) });
    expect(logins[1]).toMatchObject({ code: "UnauthorizedLogin" });
    expect(logins[0].session).toMatch(/^.{6}…$/);
    const all = lines.join("\n");
    for (const secret of ["correct-horse", "battery-staple", "s3cr3t-token-value", session.id]) expect(all).not.toContain(secret);
  });

  it("redacts secret-named fields wherever a caller logs them", () => {
    const { lines, logger } = capture();
    logger.info({ password: "p1", credentials: { kind: "x", token: "t1" }, nested: { response: "r1", secret: "s1" } }, "oops");
    expect(lines.join("")).not.toMatch(/p1|t1|r1|s1/);
    expect(lines.join("")).toContain("[redacted]");
  });
});
