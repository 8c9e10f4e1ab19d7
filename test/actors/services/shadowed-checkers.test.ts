/** A portal given two local checkers for one kind says, once at start, which one it will not use. */
import { expect, it } from "vitest";
import { AllowAnonymousAccess, FilePasswordDB, InMemoryUsernamePasswordDatabaseDontUse, servePortal, SimpleRealm } from "../../../actors/index.ts";
import { createInProcessBus } from "../../../transports/index.ts";
import { captureLogs } from "../../support/capture-logs.ts";

it("warns, per kind, that an earlier local checker is replaced by a later one for that kind, and is silent when kinds do not overlap", async () => {
  const { lines, logger } = captureLogs("info");
  const bus = createInProcessBus();
  const first = new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" });
  const second = new FilePasswordDB("/nonexistent/passwords");
  const portal = await servePortal(bus, { realm: new SimpleRealm(), checkers: [first, new AllowAnonymousAccess(), second], logger, discoverCheckers: false });
  const warnings = lines.map((l) => JSON.parse(l)).filter((l) => l.event === "checker-shadowed");
  expect(warnings.map((w) => [w.kind, w.unused, w.used])).toEqual(
    second.credentialKinds
      .filter((kind) => first.credentialKinds.includes(kind))
      .map((kind) => [kind, "InMemoryUsernamePasswordDatabaseDontUse (#1)", "FilePasswordDB (#3)"]),
  );
  expect(warnings.length).toBeGreaterThan(0);
  await portal.close();
  const quiet = captureLogs("info");
  const other = await servePortal(bus, { realm: new SimpleRealm(), checkers: [first, new AllowAnonymousAccess()], logger: quiet.logger, discoverCheckers: false });
  expect(quiet.lines.filter((l) => l.includes("checker-shadowed"))).toEqual([]);
  await other.close();
  await bus.close();
});
