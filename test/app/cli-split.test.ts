/** The README's split deployment, run as written: checker, realm and portal as three processes over a real nats-server. */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { connect, loginWithChallenge, UsernamePassword } from "../../actors/index.ts";
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

/** A `memory:alice:secret` checker, `realm MODULE` and `portal`, none named: a client's bus on their nats-server. */
async function defaultSplit(module: string) {
  server = await startNatsServer();
  await start(["checker", "--nats", server.url, "--auth", "memory:alice:secret"]);
  await start(["realm", module, "--nats", server.url]);
  await start(["portal", "--nats", server.url]);
  return connectNatsBus({ servers: server.url });
}

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  await server?.stop();
  server = undefined;
});

// Realm modules and plugins in test/fixtures import "portcullis", which resolves to the built
// package: a stale dist/ would test an old copy of the errors.
if (!existsSync(`${root}dist/actors/error-brand.js`)) throw new Error("dist/ is missing or stale: run `npm run build` (npm ci does)");

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
      // Both modules throw errors of the built package's copy (dist/), the commands run from source:
      // still the plugin's refusal and the realm's NoSuchInterface (an outside probe saw LoginFailed).
      await expect(connect(bus).login(new UsernamePassword("alice", "alice"), { interfaces: ["shout"] })).rejects.toMatchObject({ code: "UnauthorizedLogin", message: "invalid credentials" });
      await expect(connect(bus).login(new UsernamePassword("alice", "ecila"), { interfaces: ["whisper"] })).rejects.toMatchObject({ code: "NoSuchInterface" });
    } finally {
      await bus.close();
    }
  }, 30_000);

  it("serves the README's realm module: calls reach its avatar, its notifications reach the Mind", async () => {
    const readme = readFileSync(`${root}README.md`, "utf8");
    const fixture = readFileSync(`${root}test/fixtures/counter-realm.mjs`, "utf8");
    expect(readme).toContain("```js\n" + fixture + "```");
    // The commands its first lines give, as written but for the server's URL and the module's path.
    const commands = [...fixture.split("\n").slice(0, 2).join("\n").matchAll(/`portcullis ([^`]+)`/g)].map((m) =>
      m[1]!.split(/\s+/).map((a) => (a === "./counter-realm.mjs" ? "./test/fixtures/counter-realm.mjs" : a)),
    );
    expect(commands.map((c) => c.slice(0, 3))).toEqual([["realm", "./test/fixtures/counter-realm.mjs", "--name"], ["portal", "--realm", "counter"]]);
    server = await startNatsServer();
    await start(["checker", "--nats", server.url, "--auth", "memory:alice:secret"]);
    // Beside the default echo realm under its default name, which must not take the counter's logins.
    await start(["realm", "echo", "--nats", server.url]);
    for (const command of commands) await start(command.map((a) => (a === "nats://127.0.0.1:4222" ? server!.url : a)));
    const bus = await connectNatsBus({ servers: server.url });
    try {
      const notes: unknown[] = [];
      const session = await connect(bus).login(new UsernamePassword("alice", "secret"), { interfaces: ["counter"], mind: (n) => notes.push(n) });
      expect(await session.call("add", 2)).toBe(2);
      expect(await session.call("add", 3)).toBe(5);
      await session.logout();
      expect(notes).toEqual([{ event: "counted", data: { count: 2 } }, { event: "counted", data: { count: 5 } }]);
    } finally {
      await bus.close();
    }
  }, 30_000);

  it("serves a realm module under the name a portal uses by default, so neither needs --name or --realm", async () => {
    // An outside probe: the module was served as `realm` while the portal looked for `echo`, and
    // every login failed with "realm echo is unavailable".
    const bus = await defaultSplit("./test/fixtures/shout-realm.mjs");
    try {
      const session = await connect(bus).login(new UsernamePassword("alice", "secret"), { interfaces: ["shout"] });
      expect(await session.call("shout", "default")).toBe("DEFAULT");
      await session.logout();
    } finally {
      await bus.close();
    }
  }, 30_000);

  it.each([
    ["SIGKILL", "avatar-failed"],
    ["SIGTERM", "shutdown"],
  ] as const)("ends the sessions of a `portcullis realm` process stopped with %s, with `%s`, and a call never meets silence", async (signal, reason) => {
    server = await startNatsServer();
    await start(["checker", "--nats", server.url, "--auth", "memory:alice:secret"]);
    const realm = await start(["realm", "echo", "--nats", server.url]);
    await start(["portal", "--nats", server.url, "--realm", "echo"]);
    const bus = await connectNatsBus({ servers: server.url });
    try {
      const session = await connect(bus).login(new UsernamePassword("alice", "secret"), { interfaces: ["echo"], mind: () => undefined });
      expect(await session.call("echo", "before")).toBe("before");
      const exited = once(realm, "exit");
      realm.kill(signal);
      await exited;
      await new Promise((resolve) => setTimeout(resolve, 300)); // past the 250 ms a realm's last answer is trusted
      const started = performance.now();
      // Killed: the portal answers for the realm (unreachable until 5 s without responders
      // confirm it gone). Stopped: the session is already over.
      await expect(session.call("echo", "after")).rejects.toMatchObject({ code: signal === "SIGKILL" ? "AvatarError" : "SessionEnded" });
      expect(performance.now() - started).toBeLessThan(3000);
      expect(await session.closed).toBe(reason);
    } finally {
      await bus.close();
    }
  }, 30_000);

  it("answers each call once when the portal process was stopped (SIGSTOP) while the realm answered its session's calls", async () => {
    // An outside probe: on waking, a portal stopped for 8–15 s answered calls the realm had
    // answered `ok` a second time, with AvatarError "did not receive the call" (older than the
    // realm remembers the calls it took).
    server = await startNatsServer();
    await start(["checker", "--nats", server.url, "--auth", "memory:alice:secret"]);
    await start(["realm", "echo", "--nats", server.url]);
    const portal = await start(["portal", "--nats", server.url]);
    const bus = await connectNatsBus({ servers: server.url });
    try {
      const session = await connect(bus).login(new UsernamePassword("alice", "secret"), { interfaces: ["echo"] });
      const answers = new Map<string, string[]>();
      bus.subscribe("_INBOX.stalled.>", (message) => {
        const body = JSON.parse(new TextDecoder().decode(message.data)) as { ok: boolean; error?: { code: string } };
        answers.set(message.subject, [...(answers.get(message.subject) ?? []), body.ok ? "ok" : body.error!.code]);
      });
      await bus.flush();
      const call = (i: number) => bus.publish(`cred.session.${session.id}.call`, new TextEncoder().encode(JSON.stringify({ method: "echo", args: [i] })), { reply: `_INBOX.stalled.${i}` });
      portal.kill("SIGSTOP");
      for (let i = 0; i < 30; i++) {
        call(i);
        await new Promise((resolve) => setTimeout(resolve, 120));
      }
      portal.kill("SIGCONT");
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(answers.size).toBe(30);
      expect([...answers.values()].filter((each) => each.length !== 1 || each[0] !== "ok")).toEqual([]);
      expect(await session.call("echo", "after")).toBe("after");
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
    process.env["PORTCULLIS_PLUGINS"] = "./test/fixtures/reverse-plugin.mjs";
    try {
      out = "";
      expect(await main(["--help-auth-type", "reverse"], sink((t) => (out += t)), sink((t) => (err += t)))).toBe(0);
      expect(out).toContain("Usage: --auth reverse[:ArgString]");
    } finally {
      delete process.env["PORTCULLIS_PLUGINS"];
    }
    expect(await main(["realm", "./test/fixtures/reverse-plugin.mjs", "--nats", "nats://127.0.0.1:1"], sink(() => undefined), sink((t) => (err += t)))).toBe(2);
    expect(err).toContain("exports no realm");
  });
});

/**
 * Runs a README block of two lines, as written: `echo 'PASSWORD' | portcullis hash … >> FILE`, then
 * `portcullis serve … --auth TYPE:FILE` against a nats-server of the test's, in a directory of its
 * own. `use` gets the password, the line `hash` printed and a bus to that server.
 */
async function runReadmeHashBlock(marker: string, file: string, use: (password: string, line: string, bus: Awaited<ReturnType<typeof connectNatsBus>>) => Promise<void>): Promise<void> {
  const { mkdtemp, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { execFileSync } = await import("node:child_process");
  const dir = await mkdtemp(`${tmpdir()}/portcullis-readme-`);
  server = await startNatsServer();
  try {
    const readme = readFileSync(`${root}README.md`, "utf8");
    const block = readme.split(`<!-- ${marker}:start -->`)[1]!.split(`<!-- ${marker}:end -->`)[0]!;
    const lines = block.split("\n").filter((l) => l.includes("portcullis "));
    expect(lines).toHaveLength(2);
    const escaped = file.replace(".", "\\.");
    const [, password, hashArgs] = new RegExp(`^echo '([^']*)' \\| portcullis (hash .+) >> ${escaped}$`).exec(lines[0]!.trim())!;
    const line = execFileSync(process.execPath, ["--import", "tsx", "app/main.ts", ...hashArgs!.split(" ")], { cwd: root, input: `${password}\n` }).toString();
    writeFileSync(`${dir}/${file}`, line);
    // Line 2, run in that directory.
    const serveArgs = lines[1]!.trim().split(/\s+/).slice(1).map((a) => (a === "nats://127.0.0.1:4222" ? server!.url : a.replace(`:${file}`, `:${dir}/${file}`)));
    await start(serveArgs);
    const bus = await connectNatsBus({ servers: server.url });
    try {
      await use(password!, line, bus);
    } finally {
      await bus.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("portcullis hash + serve --auth hashed (README)", () => {
  it("runs the README's password-file example and logs alice in with that password", async () => {
    await runReadmeHashBlock("cli-hash-examples", "users.txt", async (password, line, bus) => {
      expect(line).toMatch(/^alice:\$argon2id\$/);
      const session = await connect(bus).login(new UsernamePassword("alice", password), { interfaces: ["echo"] });
      expect(session.avatarId).toBe("alice");
      await expect(connect(bus).login(new UsernamePassword("alice", "wrong"), { interfaces: ["echo"] })).rejects.toMatchObject({ code: "UnauthorizedLogin" });
      await session.logout();
    });
  }, 30_000);

  it("runs the README's scram-file example and logs alice in with scram-sha-256 over NATS", async () => {
    await runReadmeHashBlock("cli-scram-examples", "scram.keys", async (password, line, bus) => {
      expect(line).toMatch(/^alice:SCRAM-SHA-256\$4096:/);
      expect(line).not.toContain(password);
      const session = await loginWithChallenge(bus, "scram-sha-256", { username: "alice", password }, { interfaces: ["echo"] });
      expect(session.avatarId).toBe("alice");
      await expect(loginWithChallenge(bus, "scram-sha-256", { username: "alice", password: "wrong" }, { interfaces: ["echo"] })).rejects.toMatchObject({ code: "UnauthorizedLogin" });
      await session.logout();
    });
  }, 30_000);

  it("answers --help-auth-type and --help-auth on every subcommand, hash included", async () => {
    for (const command of ["serve", "checker", "portal", "realm", "hash"]) {
      let out = "";
      const sink = { write: (t: string) => ((out += t), true) } as never;
      expect(await main([command, "--help-auth-type", "hashed"], sink, sink)).toBe(0);
      expect(out).toContain("Usage: --auth hashed[:ArgString]");
      out = "";
      expect(await main([command, "--help-auth"], sink, sink)).toBe(0);
      expect(out).toMatch(/^Usage: --auth AuthType\[:ArgString\]/);
    }
  });
});

describe("portals started by the CLI share rate-limit counts over NATS", () => {
  it("limits an account after ten refusals spread over two portal processes", async () => {
    server = await startNatsServer();
    await start(["checker", "--nats", server.url, "--auth", "memory:alice:secret"]);
    await start(["realm", "echo", "--nats", server.url]);
    await start(["portal", "--nats", server.url]);
    await start(["portal", "--nats", server.url]);
    const bus = await connectNatsBus({ servers: server.url });
    try {
      const client = connect(bus);
      const codes: string[] = [];
      for (let i = 0; i < 11; i++) {
        codes.push(await client.login(new UsernamePassword("alice", `wrong${i}`), { interfaces: ["echo"] }).then(() => "ok", (e: { code: string }) => e.code));
      }
      // With a per-process count neither portal would have seen ten refusals.
      expect(codes).toEqual([...Array(10).fill("UnauthorizedLogin"), "RateLimited"]);
      const limited = await client.login(new UsernamePassword("alice", "secret"), { interfaces: ["echo"] }).catch((e) => e);
      expect(limited).toMatchObject({ code: "RateLimited", retryAfterMs: expect.any(Number) });
    } finally {
      await bus.close();
    }
  }, 30_000);
});

describe("portcullis serve --rate-limit", () => {
  it("limits after the given number of refusals, and never with off", async () => {
    server = await startNatsServer();
    await start(["serve", "--nats", server.url, "--auth", "memory:alice:secret", "--rate-limit", "2", "--prefix", "two"]);
    await start(["serve", "--nats", server.url, "--auth", "memory:alice:secret", "--rate-limit", "off", "--prefix", "free"]);
    const bus = await connectNatsBus({ servers: server.url });
    try {
      const codes = async (prefix: string, n: number) => {
        const client = connect(bus, { prefix });
        const out: string[] = [];
        for (let i = 0; i < n; i++) out.push(await client.login(new UsernamePassword("alice", "no"), { interfaces: ["echo"] }).then(() => "ok", (e: { code: string }) => e.code));
        return out;
      };
      expect(await codes("two", 3)).toEqual(["UnauthorizedLogin", "UnauthorizedLogin", "RateLimited"]);
      expect(new Set(await codes("free", 12))).toEqual(new Set(["UnauthorizedLogin"]));
    } finally {
      await bus.close();
    }
    expect(await main(["serve", "--nats", "nats://x", "--auth", "anonymous", "--rate-limit", "lots"], { write: () => true } as never, { write: () => true } as never)).toBe(2);
  }, 30_000);
});
