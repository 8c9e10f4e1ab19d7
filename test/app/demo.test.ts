/** `npm start`'s demo: the transcript a newcomer sees, on the embedded bus and over NATS. */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runDemo } from "../../app/demo.ts";
import { startNatsServer } from "../support/nats-server.ts";

function expectTranscript(lines: string[]): void {
  const text = lines.join("\n");
  expect(text).toMatch(/login guest\/password → ok: avatarId=guest interface=echo/);
  expect(text).toContain('call echo("hello") → "hello"');
  expect(text).toContain('mind ← announce {"text":"the game starts"}');
  expect(text).toContain("login guest/wrong → UnauthorizedLogin");
  expect(text).toContain("login with kind x-retina-scan → UnhandledCredentials");
  expect(text).toContain("logout → session closed: logout");
}

describe("demo", () => {
  it("shows login, call, notification, refusal, unknown kind and logout on the in-process bus", async () => {
    const lines: string[] = [];
    await runDemo(undefined, (line) => lines.push(line));
    expect(lines[0]).toContain("embedded in-process bus");
    expectTranscript(lines);
  });

  it("runs the same transcript over NATS when given a URL", async () => {
    const server = await startNatsServer();
    try {
      const lines: string[] = [];
      // With nats.conf's service user in the URL: used to connect, never printed.
      await runDemo(server.url.replace("nats://", "nats://portcullis-service:portcullis-dev-service@"), (line) => lines.push(line));
      expect(lines[0]).toBe(`bus: NATS at ${server.url.replace("nats://", "nats://***@")}`);
      expect(lines.join("\n")).not.toContain("portcullis-dev-service");
      expectTranscript(lines);
    } finally {
      await server.stop();
    }
  });

  it("says in one line, exit status 1, that NATS_URL points at no server (no stack trace)", () => {
    const root = fileURLToPath(new URL("../..", import.meta.url));
    const run = spawnSync(process.execPath, ["--import", "tsx", "app/demo.ts"], {
      cwd: root,
      env: { ...process.env, NATS_URL: "nats://127.0.0.1:1" },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe("demo: cannot connect to NATS at nats://127.0.0.1:1: connection refused (unset NATS_URL to run on the in-process bus)\n");
  });
});
