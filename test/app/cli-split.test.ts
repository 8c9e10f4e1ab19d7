/** The README's split deployment, run as written: checker, realm and portal as three processes over a real nats-server. */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { connect, UsernamePassword } from "../../actors/index.ts";
import { main } from "../../app/cli.ts";
import { connectNatsBus } from "../../transports/index.ts";
import { startNatsServer, type NatsServerHandle } from "../support/nats-server.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The commands between the README's cli-examples markers. */
function readmeExamples(): string[][] {
  const readme = readFileSync(`${root}README.md`, "utf8");
  const block = readme.split("<!-- cli-examples:start -->")[1]!.split("<!-- cli-examples:end -->")[0]!;
  return block.split("\n").filter((l) => l.startsWith("portcullis ")).map((l) => l.trim().split(/\s+/).slice(1));
}

const children: ChildProcess[] = [];
let server: NatsServerHandle | undefined;

function start(args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "app/main.ts", ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (c) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (c) => {
      stdout += c;
      if (stdout.includes("ready")) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`portcullis ${args.join(" ")} exited ${code}: ${stderr}`)));
  });
}

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  await server?.stop();
  server = undefined;
});

describe("portcullis checker / realm / portal", () => {
  it("runs the README's split deployment and logs a client in through it", async () => {
    server = await startNatsServer();
    const examples = readmeExamples();
    expect(examples.map((e) => e[0])).toEqual(["checker", "realm", "portal"]);
    for (const args of examples) await start(args.map((a) => (a === "nats://127.0.0.1:4222" ? server!.url : a)));
    const bus = await connectNatsBus({ servers: server.url });
    try {
      const session = await connect(bus).login(new UsernamePassword("alice", "secret"), { interfaces: ["echo"] });
      expect(session.heartbeatMs).toBe(5000);
      expect(await session.call("echo", "split")).toBe("split");
      await expect(connect(bus).login(new UsernamePassword("alice", "nope"), { interfaces: ["echo"] })).rejects.toMatchObject({ code: "UnauthorizedLogin" });
      await session.logout();
      for (const child of children) {
        const exited = once(child, "exit");
        child.kill("SIGTERM");
        expect((await exited)[0]).toBe(0);
      }
    } finally {
      await bus.close();
    }
  }, 30_000);

  it("serves a realm module and a third-party checker plugin", async () => {
    server = await startNatsServer();
    await start(["--plugin", "./test/fixtures/reverse-plugin.mjs", "checker", "--nats", server.url, "--auth", "reverse:alice"]);
    await start(["realm", "./test/fixtures/shout-realm.mjs", "--nats", server.url, "--name", "loud"]);
    await start(["portal", "--nats", server.url, "--realm", "loud"]);
    const bus = await connectNatsBus({ servers: server.url });
    try {
      const session = await connect(bus).login(new UsernamePassword("alice", "ecila"), { interfaces: ["shout"] });
      expect(await session.call("shout", "hello")).toBe("HELLO");
      await session.logout();
    } finally {
      await bus.close();
    }
  }, 30_000);

  it("shows a plugin's auth type in --help-auth and rejects a module that exports no realm", async () => {
    let out = "";
    let err = "";
    const sink = (f: (t: string) => void) => ({ write: (t: string) => (f(t), true) }) as never;
    expect(await main(["--plugin", "./test/fixtures/reverse-plugin.mjs", "--help-auth"], sink((t) => (out += t)), sink((t) => (err += t)))).toBe(0);
    expect(out).toMatch(/reverse\s*\tA colon-separated list of usernames/);
    expect(await main(["realm", "./test/fixtures/reverse-plugin.mjs", "--nats", "nats://127.0.0.1:1"], sink(() => undefined), sink((t) => (err += t)))).toBe(2);
    expect(err).toContain("exports no realm");
  });
});
