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

  it("redacts them in arrays, errors and child bindings down to two levels, as pino's redact paths f, *.f and *.*.f did, without touching the caller's objects", () => {
    const { lines, logger } = capture();
    const logged = { users: [{ name: "u", password: "p2" }], err: Object.assign(new Error("boom"), { token: "t2" }), deep: { a: { secret: "s2", b: { c: 1 } } } };
    logger.child({ signature: "g2", session: "abc" }).child({ nested: { privateKey: "k2" } }).warn(logged, "nested");
    const [line] = lines.map((l) => JSON.parse(l));
    expect(line).toMatchObject({
      session: "abc",
      signature: "[redacted]",
      nested: { privateKey: "[redacted]" },
      users: [{ name: "u", password: "[redacted]" }],
      err: { message: "boom", token: "[redacted]" },
      deep: { a: { secret: "[redacted]", b: { c: 1 } } },
    });
    expect(lines.join("")).not.toMatch(/p2|t2|s2|g2|k2/);
    expect(logged.users[0]!.password).toBe("p2");
    expect((logged.err as unknown as { token: string }).token).toBe("t2");
    expect(logged.deep.a.secret).toBe("s2");
  });
});
