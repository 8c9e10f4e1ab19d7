/** A portal says in its log that it refused malformed logins: a line at most every 10 s, counting the rest. */
import { expect, it } from "vitest";
import { InMemoryUsernamePasswordDatabaseDontUse, servePortal, SimpleRealm } from "../../../actors/index.ts";
import { InProcessNetwork } from "../../../transports/index.ts";
import { captureLogs } from "../../support/capture-logs.ts";
import { json, parse } from "../../support/wire.ts";

it("logs a refused malformed login request (an outside newcomer's left no line even at trace), once for a burst, and never the password", async () => {
  const network = new InProcessNetwork();
  const logs = captureLogs();
  const portal = await servePortal(network.connect(), { realm: new SimpleRealm(), checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })], logger: logs.logger });
  const client = network.connect();
  try {
    const bad = { credentials: { kind: "username-password", username: "alice", password: "Hunter2-secret" }, interfaces: [] };
    for (let i = 0; i < 20; i++) expect(parse(await client.request("cred.login", json(bad)))["error"]).toMatchObject({ code: "BadRequest" });
    expect(parse(await client.request("cred.login", new TextEncoder().encode("not json")))["error"]).toMatchObject({ code: "BadRequest" });
    const lines = logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((e) => e["event"] === "login-malformed");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: "refused a malformed login request", err: expect.stringContaining("interfaces") });
    expect(logs.lines.join("\n")).not.toContain("Hunter2-secret");
  } finally {
    await portal.close();
    await client.close();
  }
});
