/** What a service logs when a checker (or plugin) throws something outside the protocol's error set. */
import { expect, it } from "vitest";
import { serveChecker } from "../../../actors/index.ts";
import { createInProcessBus } from "../../../transports/index.ts";
import { captureLogs } from "../../support/capture-logs.ts";
import { json, parse } from "../../support/wire.ts";

const PASSWORD = "Leaky-Pw-7731";

it("logs a checker's unexpected error by type and place, never its message (which may quote the password)", async () => {
  const { lines, logger } = captureLogs("trace");
  const bus = createInProcessBus();
  const leaky = {
    credentialKinds: ["username-password"],
    requestAvatarId: (credentials: { toWire(): Record<string, unknown> }): never => {
      throw new RangeError(`backend down while checking password ${String(credentials.toWire()["password"])}`);
    },
  };
  const service = await serveChecker(bus, leaky as never, { name: "leaky", logger });
  const reply = parse(
    await bus.request("cred.checker.leaky", json({ credentials: { kind: "username-password", username: "alice", password: PASSWORD } })),
  );
  // The client hears the closed set's LoginFailed, not the checker's text.
  expect(reply).toEqual({ ok: false, error: { code: "LoginFailed", message: expect.any(String) } });
  expect(JSON.stringify(reply)).not.toContain(PASSWORD);
  const line = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "unexpected error while serving a request");
  expect(line.error.type).toBe("RangeError");
  expect(line.error.at[0]).toContain("unexpected-errors.test.ts");
  expect(lines.join("\n")).not.toContain(PASSWORD);
  expect(lines.join("\n")).not.toContain("backend down");
  await service.stop();
  await bus.close();
});

it("keeps only V8-shaped names and frames: a thrower's own name or stack lines cannot carry a secret into the log", async () => {
  const { describe: describeError } = await import("../../../actors/services/responder.ts");
  const named = new Error("x");
  named.name = `Err ${PASSWORD}`;
  expect(describeError(named).type).toBe("Error");
  const multiline = new Error(`first\n    at ${PASSWORD}`);
  expect(JSON.stringify(describeError(multiline))).not.toContain(PASSWORD);
  const custom = new Error("y");
  custom.stack = `Error: y\n    at check(${PASSWORD})\n    at real (file:///x.js:1:2)`;
  expect(describeError(custom).at).toEqual(["real (file:///x.js:1:2)"]);
  expect(describeError(new TypeError("z")).type).toBe("TypeError");
});
