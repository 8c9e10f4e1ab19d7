/** A service started as a NATS user without a service's permissions: one line and exit 1, never "ready". */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../app/cli.ts";
import { DEV_CLIENT, startNatsServer, type NatsServerHandle } from "../support/nats-server.ts";

async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, { write: (t: string) => ((out += t), true) } as never, { write: (t: string) => ((err += t), true) } as never);
  return { code, out, err };
}

describe("portcullis services as nats.conf's client user", () => {
  let server: NatsServerHandle;
  let clientUrl: string;

  beforeAll(async () => {
    server = await startNatsServer();
    clientUrl = server.url.replace("nats://", `nats://${DEV_CLIENT.user}:${DEV_CLIENT.pass}@`);
  });

  afterAll(async () => {
    await server.stop();
  });

  it("names the rate limiter's JetStream subject and --rate-limit off when JetStream is refused", async () => {
    for (const command of [["serve", "--auth", "memory:a:b"], ["portal"]]) {
      const result = await runCli([...command, "--nats", clientUrl, "--log-level", "silent"]);
      expect(result.code, command[0]).toBe(1);
      expect(result.out).toBe("");
      expect(result.err).toBe(
        "portcullis: the NATS user may not publish to $JS.API.INFO (the rate limiter's JetStream); connect as a service user, or use --rate-limit off\n",
      );
    }
  });

  it.each([
    [["serve", "--auth", "memory:a:b", "--rate-limit", "off"], "subscribe to cred.checker.memory"],
    [["checker", "--auth", "memory:a:b"], "subscribe to cred.checker.memory"],
    [["realm", "echo"], "subscribe to cred.realm.echo.avatar"],
  ])("exits 1 without saying ready when %j may not make its subscriptions", async (args, refused) => {
    const result = await runCli([...args, "--nats", clientUrl, "--log-level", "silent"]);
    expect(result.code).toBe(1);
    expect(result.out).toBe("");
    expect(result.err).toBe(`portcullis: the NATS user may not ${refused}; connect as a service user (nats.conf's portcullis-service)\n`);
    expect(result.err).not.toContain(DEV_CLIENT.pass);
  });
});
