/** The `portcullis` command: help, usage errors, and `serve` as a real process over a real nats-server. */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, UsernamePassword, Anonymous, type Notification } from "../../actors/index.ts";
import { main } from "../../app/cli.ts";
import { connectNatsBus } from "../../transports/index.ts";
import { startNatsServer, type NatsServerHandle } from "../support/nats-server.ts";
import { waitFor } from "../support/wire.ts";
import { SignJWT } from "jose";
import { connect as connectNats } from "@nats-io/transport-node";

const root = fileURLToPath(new URL("../..", import.meta.url));

async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, { write: (t: string) => ((out += t), true) } as never, { write: (t: string) => ((err += t), true) } as never);
  return { code, out, err };
}

/** A `portcullis serve` process, once it printed "ready"; `stderr()` is its log so far. */
interface ServeProcess {
  readonly child: ChildProcess;
  stderr(): string;
}

async function startServe(natsUrl: string, args: string[]): Promise<ServeProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "app/main.ts", "serve", "--nats", natsUrl, ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  let stdout = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk) => {
      stdout += chunk;
      if (stdout.includes("ready")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  return { child, stderr: () => stderr };
}

describe("portcullis CLI", () => {
  it("lists every auth type in Twisted's --help-auth format", async () => {
    const { code, out } = await runCli(["--help-auth"]);
    expect(code).toBe(0);
    expect(out).toMatch(/^Usage: --auth AuthType\[:ArgString\]\nFor detailed help: --help-auth-type AuthType\n/);
    expect(out).toMatch(/memory\s+\tA colon-separated list \(name:password:\.\.\.\)/);
    expect(out).toMatch(/anonymous\s*\tNo argstring required\./);
  });

  it("prints one auth type's help for --help-auth-type", async () => {
    const { code, out } = await runCli(["--help-auth-type", "memory"]);
    expect(code).toBe(0);
    expect(out).toContain("Usage: --auth memory[:ArgString]\nArgString format: A colon-separated list (name:password:...)\n");
    expect(out).toContain("  don't want to use this for anything else. It is a toy.\n\n");
  });

  it("exits 2 with a usage message, never a stack trace, for an unknown auth type", async () => {
    const help = await runCli(["--help-auth-type", "nope"]);
    expect(help.code).toBe(2);
    // Twisted's words, and a pointer to where the auth types are listed (--help lists options).
    expect(help.err).toBe("portcullis: Invalid auth type: nope\n(portcullis --help-auth lists the auth types)\n");
    const serve = await runCli(["serve", "--nats", "nats://127.0.0.1:1", "--auth", "nope:x"]);
    expect(serve.code).toBe(2);
    expect(serve.err).toBe("portcullis: Auth plugin not recognized: nope\n(portcullis --help-auth lists the auth types)\n");
    expect(serve.err).not.toMatch(/\n\s+at /);
  });

  it("exits 2 for a malformed argstring, a missing --nats, an unknown command and a bad --heartbeat-ms", async () => {
    expect((await runCli(["serve", "--nats", "nats://x", "--auth", "memory:alice"])).err).toBe(
      "portcullis: Invalid --auth argstring: argstring must be in format U:P:...\n(portcullis --help-auth-type memory gives its format)\n",
    );
    const saved = process.env["NATS_URL"];
    delete process.env["NATS_URL"];
    try {
      expect((await runCli(["serve", "--auth", "anonymous"])).err).toContain("needs --nats URL");
    } finally {
      if (saved !== undefined) process.env["NATS_URL"] = saved;
    }
    expect((await runCli(["frobnicate"])).code).toBe(2);
    expect((await runCli(["serve", "--nats", "nats://x", "--auth", "anonymous", "--heartbeat-ms", "soon"])).err).toContain("--heartbeat-ms");
    expect((await runCli(["--no-such-flag"])).code).toBe(2);
  });

  it.each([
    [["serve", "--auth", "anonymous", "--log-level", "loud"], "--log-level must be one of"],
    [["serve", "--auth", "anonymous", "--prefix", "a b"], '--prefix: invalid subject prefix: "a b"'],
    [["checker", "--auth", "anonymous", "--prefix", "x.>"], '--prefix: invalid subject prefix: "x.>"'],
    [["portal", "--prefix", ""], '--prefix: invalid subject prefix: ""'],
    [["serve", "--auth", "anonymous", "--prefix", "_INBOX"], "--prefix: invalid subject prefix: \"_INBOX\" is where clients' inboxes are"],
    [["portal", "--prefix", "_INBOX_alice.game"], "--prefix: invalid subject prefix: \"_INBOX_alice.game\" is where clients' inboxes are"],
    [["checker", "--auth", "anonymous", "--name", "bad name.*"], '--name: invalid service name: "bad name.*"'],
    [["portal", "--realm", "bad realm"], '--realm: invalid service name: "bad realm"'],
    [["checker", "--auth", "anonymous", "--name", "scr.challenge"], '--name: invalid service name: "scr.challenge"'],
    [["realm", "echo", "--name", "x y"], '--name: invalid service name: "x y"'],
    [["serve", "--auth", "anonymous", "--heartbeat-ms", "2000000000"], "--heartbeat-ms must be an integer from 10 to 858993458"],
    [["serve", "--auth", "anonymous", "--heartbeat-ms", "1e99"], "--heartbeat-ms must be an integer from 10 to 858993458"],
    [["serve", "--auth", "anonymous", "--realm", "nosuch"], "--realm is not an option of serve"],
    [["serve", "--auth", "anonymous", "--max-sessions", "0"], "--max-sessions must be a positive integer"],
    [["portal", "--max-sessions", "lots"], "--max-sessions must be a positive integer"],
    [["checker", "--auth", "anonymous", "--max-sessions", "5"], "--max-sessions is not an option of checker"],
    [["serve", "--auth", "anonymous", "--mind-prefix", "$JS.API"], "--mind-prefix must be a plain dotted subject"],
    [["portal", "--mind-prefix", "a b"], "--mind-prefix must be a plain dotted subject"],
    [["serve", "--auth", "anonymous", "--mind-prefix", "cred.minds"], "--mind-prefix may not be under the portal's own prefix (cred)"],
    [["portal", "--mind-prefix", "portcullis.tokens"], "--mind-prefix must be a plain dotted subject"],
    [["serve", "--auth", "anonymous", "--reply-prefix", "$JS.API"], "--reply-prefix must be a plain dotted subject"],
    [["realm", "echo", "--reply-prefix", "replies.>"], "--reply-prefix must be a plain dotted subject"],
    [["checker", "--auth", "anonymous", "--reply-prefix", "cred.checkers"], "--reply-prefix may not be under the portal's own prefix (cred)"],
    [["portal", "--prefix", "game", "--reply-prefix", "game"], "--reply-prefix may not be under the portal's own prefix (game)"],
    [["portal", "--reply-prefix", "portcullis.tokens"], "--reply-prefix may not be under portcullis"],
    [["revoke", "--reply-prefix", "replies"], "--reply-prefix is not an option of revoke"],
    [["serve", "--auth", "anonymous", "--prefix", "game.eu", "--reply-prefix", "game"], "--reply-prefix may not cover the portal's own prefix (game.eu is under game)"],
  ])("exits 2 with one line and no stack trace, before connecting, for %j", async (args, message) => {
    // An unreachable server: these must be refused before any connection is tried.
    const result = await runCli([...args, "--nats", "nats://127.0.0.1:1"]);
    expect(result.code).toBe(2);
    expect(result.err.split("\n")[0]).toContain(message);
    // The error and where to look, not a page of usage burying it.
    expect(result.err.split("\n").slice(1)).toEqual(["(portcullis --help lists the options)", ""]);
    expect(result.err).not.toMatch(/\n\s+at /);
  });

  it("refuses a bad LOG_LEVEL from the environment by name", async () => {
    const saved = process.env["LOG_LEVEL"];
    process.env["LOG_LEVEL"] = "verbose";
    try {
      const result = await runCli(["serve", "--nats", "nats://127.0.0.1:1", "--auth", "anonymous"]);
      expect(result.code).toBe(2);
      expect(result.err).toContain('LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, not "verbose"');
    } finally {
      if (saved === undefined) delete process.env["LOG_LEVEL"];
      else process.env["LOG_LEVEL"] = saved;
    }
  });
});

describe("portcullis serve and portal against an unusual NATS", () => {
  it("exits 1 with one line, no stack trace, when NATS is unreachable", async () => {
    const refused = await runCli(["serve", "--nats", "nats://127.0.0.1:1", "--auth", "anonymous"]);
    expect(refused.code).toBe(1);
    expect(refused.err).toBe("portcullis: cannot connect to NATS at nats://127.0.0.1:1: connection refused\n");
  });

  it("never shows the password or token of a NATS URL, in any subcommand's message", async () => {
    for (const [command, url] of [
      ["serve", "nats://user:NatsUrlPw-Kilo9@127.0.0.1:1"],
      ["checker", "nats://tok-NatsTokenPw-Lima0@127.0.0.1:1"],
      ["portal", "nats://127.0.0.1:2,nats://u:p%40ss-Mike1@127.0.0.1:1"],
      ["serve", "nats://127.0.0.1:2, nats://u:Spaced-Oscar4@127.0.0.1:1"],
      ["serve", "nats://u:Sl/ash#Pw?Kilo7@127.0.0.1:1"],
      ["serve", "nats://u:At@Pw-Lima8@127.0.0.1:1"],
    ] as const) {
      const result = await runCli([command, "--nats", url, ...(command === "portal" ? [] : ["--auth", "anonymous"])]);
      expect(result.code).toBe(1);
      expect(result.err).toMatch(/cannot connect to NATS at .*\*\*\*@127\.0\.0\.1:1/);
      expect(result.err).not.toMatch(/Kilo9|Lima0|Mike1|Oscar4|Kilo7|Lima8|Pw-/);
    }
  });

  it("logs in to NATS with the user and password of the URL (nats.js would ignore them there)", async () => {
    // nats.conf's development service user; without credentials `no_auth_user` would let anyone in.
    const server = await startNatsServer();
    try {
      const wrong = await runCli(["serve", "--nats", server.url.replace("nats://", "nats://portcullis-service:wrong@"), "--auth", "anonymous"]);
      expect(wrong.code).toBe(1);
      expect(wrong.err).toContain("Authorization Violation");
      expect(wrong.err).not.toContain("wrong");
      const serve = await startServe(server.url.replace("nats://", "nats://portcullis-service:portcullis-dev-service@"), ["--auth", "anonymous"]);
      try {
        const bus = await connectNatsBus({ servers: server.url });
        const session = await connect(bus).login(new Anonymous(), { interfaces: ["echo"] });
        expect(session.anonymous).toBe(true);
        await session.logout();
        await bus.close();
      } finally {
        serve.child.kill("SIGTERM");
        await once(serve.child, "exit");
      }
    } finally {
      await server.stop();
    }
  });

  it("starts on a nats-server without JetStream, says the rate-limit counts stay in the process, and still limits", async () => {
    const dir = mkdtempSync(join(tmpdir(), "portcullis-plain-nats-"));
    writeFileSync(join(dir, "plain.conf"), "max_payload: 2MB\n");
    const plain = await startNatsServer({ config: join(dir, "plain.conf"), jetstream: false });
    let serve: ServeProcess | undefined;
    try {
      serve = await startServe(plain.url, ["--auth", "memory:alice:secret"]);
      expect(serve.stderr()).toContain("no JetStream: rate-limit counts are kept in this process only");
      const bus = await connectNatsBus({ servers: plain.url });
      try {
        const client = connect(bus);
        const codes: string[] = [];
        for (let i = 0; i < 11; i++) {
          codes.push(await client.login(new UsernamePassword("alice", "wrong"), { interfaces: ["echo"] }).then(() => "ok", (e) => e.code));
        }
        expect(codes).toEqual([...Array(10).fill("UnauthorizedLogin"), "RateLimited"]);
        // On the wire, as a client written from PROTOCOL.md reads it: retryAfterMs in `error` and beside it.
        const body = new TextEncoder().encode(JSON.stringify({ credentials: { kind: "username-password", username: "alice", password: "wrong" }, interfaces: ["echo"] }));
        const limited = JSON.parse(new TextDecoder().decode(await bus.request("cred.login", body, { timeoutMs: 5_000 })));
        expect(limited).toMatchObject({ ok: false, error: { code: "RateLimited", retryAfterMs: expect.any(Number) }, retryAfterMs: expect.any(Number) });
        expect(limited.retryAfterMs).toBe(limited.error.retryAfterMs);
      } finally {
        await bus.close();
      }
    } finally {
      serve?.child.kill("SIGKILL");
      await plain.stop();
    }
  }, 30_000);
});

describe("portcullis serve --tokens (separate processes, real nats-server)", () => {
  let server: NatsServerHandle;
  const children: ChildProcess[] = [];

  /** Starts `portcullis serve ARGS` and resolves once it is ready. */
  async function serveProcess(args: string[]): Promise<ChildProcess> {
    const { child } = await startServe(server.url, args);
    children.push(child);
    return child;
  }

  beforeAll(async () => {
    server = await startNatsServer();
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    await server.stop();
  });

  it("runs the README's token example: a token issued at one portal logs in at another sharing the key, without the password", async () => {
    const dir = mkdtempSync(join(tmpdir(), "portcullis-cli-tokens-"));
    const key = join(dir, "token.key");
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const block = readme.split("<!-- cli-token-examples:start -->")[1]!.split("<!-- cli-token-examples:end -->")[0]!;
    const lines = block.split("\n").filter((l) => l.startsWith("openssl") || l.startsWith("portcullis "));
    expect(lines).toHaveLength(3);
    // Line 1, `openssl rand -base64 48 > token.key`, without needing openssl: the same bytes' shape.
    expect(lines[0]).toBe("openssl rand -base64 48 > token.key");
    writeFileSync(key, `${randomBytes(48).toString("base64")}\n`);
    const args = (line: string) =>
      line.split(/\s+/).slice(2).filter((a) => a !== "--nats" && a !== "nats://127.0.0.1:4222").map((a) => a.replace(":token.key", `:${key}`));
    // Line 2, the central portal; line 3, the game server: no passwords at all, only tokens.
    await Promise.all([serveProcess(args(lines[1]!)), serveProcess(args(lines[2]!))]);
    const bus = await connectNatsBus({ servers: server.url });
    try {
      const ask = async (subject: string, body: unknown) => JSON.parse(new TextDecoder().decode(await bus.request(subject, new TextEncoder().encode(JSON.stringify(body)))));
      const first = await ask("cred.login", { credentials: { kind: "username-password", username: "alice", password: "secret" }, interfaces: ["echo"], issueToken: true });
      expect(first).toMatchObject({ ok: true, avatarId: "alice", token: expect.any(String), tokenExpiresAt: expect.any(Number) });
      const second = await ask("game.login", { credentials: { kind: "token", token: first.token }, interfaces: ["echo"] });
      expect(second).toMatchObject({ ok: true, avatarId: "alice" });
      expect(await ask(`game.session.${second.session}.call`, { method: "whoami" })).toEqual({ ok: true, result: "alice" });
    } finally {
      await bus.close();
    }
  }, 30_000);

  it("revokes a token with `portcullis revoke`, read from standard input: its sessions end at every prefix and it logs in no more", async () => {
    const dir = mkdtempSync(join(tmpdir(), "portcullis-cli-revoke-"));
    const key = join(dir, "token.key");
    writeFileSync(key, `${randomBytes(48).toString("base64")}\n`);
    // Prefixes of their own: the previous test's portals, with another key, still serve `cred` and `game`.
    await Promise.all([
      serveProcess(["--prefix", "central2", "--auth", "memory:alice:secret", "--tokens", `HS256:${key}`]),
      serveProcess(["--prefix", "game2", "--auth", `token:HS256:${key}`]),
    ]);
    const bus = await connectNatsBus({ servers: server.url });
    try {
      const ended: string[] = [];
      const mind = bus.inbox();
      bus.subscribe(mind, (m) => {
        const note = JSON.parse(new TextDecoder().decode(m.data)) as { type: string; reason: string };
        if (note.type === "ended") ended.push(note.reason);
      });
      const ask = async (subject: string, body: unknown) => JSON.parse(new TextDecoder().decode(await bus.request(subject, new TextEncoder().encode(JSON.stringify(body)))));
      const first = await ask("central2.login", { credentials: { kind: "username-password", username: "alice", password: "secret" }, interfaces: ["echo"], issueToken: true, mind });
      const second = await ask("game2.login", { credentials: { kind: "token", token: first.token }, interfaces: ["echo"], mind });
      expect(second).toMatchObject({ ok: true, avatarId: "alice" });
      const { LOG_LEVEL: _, ...env } = process.env;
      const revoker = spawn(process.execPath, ["--import", "tsx", "app/main.ts", "revoke", "--nats", server.url], { cwd: root, env, stdio: ["pipe", "pipe", "pipe"] });
      let out = "";
      let err = "";
      revoker.stdout!.on("data", (c) => (out += c));
      revoker.stderr!.on("data", (c) => (err += c));
      revoker.stdin!.end(`${first.token}\n`);
      const [code] = await once(revoker, "exit");
      expect(code).toBe(0);
      // A one-shot command logs at warn by default: its result line alone, no connection progress.
      expect(err).toBe("");
      expect(out).toMatch(/^portcullis revoke: token [A-Za-z0-9_-]{6}… revoked until \d{4}-.*, heard by [2-9] services \(portals and token checkers\)\n$/);
      // The token itself is not printed: it is a credential.
      expect(out).not.toContain(first.token);
      await waitFor(() => ended.length === 2, 5_000);
      expect(ended).toEqual(["revoked", "revoked"]);
      expect(await ask("game2.login", { credentials: { kind: "token", token: first.token }, interfaces: ["echo"] })).toMatchObject({ ok: false, error: { code: "UnauthorizedLogin" } });
    } finally {
      await bus.close();
    }
  }, 30_000);

  it("says so when nobody heard a revocation (exit 1), and refuses what is not a token (exit 2)", async () => {
    const secret = new TextEncoder().encode(randomBytes(48).toString("base64"));
    const token = await new SignJWT({ sub: "alice" }).setProtectedHeader({ alg: "HS256" }).setJti("a".repeat(22)).setExpirationTime("1h").sign(secret);
    const lonely = await startNatsServer();
    try {
      for (const [stdin, expected, message] of [
        [`${token}\n`, 1, "nobody heard the revocation"],
        ["not a token\n", 2, "standard input holds no session token"],
      ] as const) {
        const revoker = spawn(process.execPath, ["--import", "tsx", "app/main.ts", "revoke", "--nats", lonely.url], { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
        let err = "";
        revoker.stderr!.on("data", (c) => (err += c));
        revoker.stdin!.end(stdin);
        const [code] = await once(revoker, "exit");
        expect(code).toBe(expected);
        expect(err).toContain(message);
        expect(err).not.toContain(token);
      }
    } finally {
      await lonely.stop();
    }
  }, 30_000);

  it("refuses a token given to `portcullis revoke` on the command line without printing it", async () => {
    const token = "eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJhYWFhYWFhYWFhYWFhYWFhYWFhYWFhIn0.c2lnbmF0dXJlLW9mLWEtc2VjcmV0";
    const { code, err } = await runCli(["revoke", "--nats", "nats://127.0.0.1:1", token]);
    expect(code).toBe(2);
    expect(err).toContain("reads the token from standard input");
    expect(err).not.toContain(token.slice(0, 20));
    expect(err).not.toContain("c2lnbmF0dXJl");
  });

  it("exits 2 with a usage message for a --tokens it cannot use", async () => {
    for (const spec of ["HS256", "HS256:/no/such/file", "RS256:/x"]) {
      const { code, err } = await runCli(["serve", "--nats", "nats://127.0.0.1:1", "--auth", "anonymous", "--tokens", spec]);
      expect(code).toBe(2);
      expect(err).toContain("--tokens");
    }
  });
});

it("holds at most --max-sessions live sessions: the next login gets LoginFailed", async () => {
  const server = await startNatsServer();
  const serve = await startServe(server.url, ["--auth", "anonymous", "--max-sessions", "1", "--rate-limit", "off"]);
  const bus = await connectNatsBus({ servers: server.url });
  try {
    const anonymous = async () =>
      JSON.parse(new TextDecoder().decode(await bus.request("cred.login", new TextEncoder().encode(JSON.stringify({ credentials: { kind: "anonymous" }, interfaces: ["echo"] })))));
    expect(await anonymous()).toMatchObject({ ok: true });
    expect(await anonymous()).toMatchObject({ ok: false, error: { code: "LoginFailed", message: expect.stringContaining("as many sessions as it may") } });
  } finally {
    await bus.close();
    serve.child.kill("SIGKILL");
    await server.stop();
  }
}, 30_000);

describe("portcullis serve (separate process, real nats-server)", () => {
  let server: NatsServerHandle;
  let child: ChildProcess;
  let serve: ServeProcess;

  beforeAll(async () => {
    server = await startNatsServer();
    serve = await startServe(server.url, ["--auth", "memory:alice:secret:bob:pw", "--auth", "anonymous", "--heartbeat-ms", "1000", "--mind-prefix", "game-minds", "--reply-prefix", "game-replies"]);
    child = serve.child;
  }, 30_000);

  afterAll(async () => {
    if (child.exitCode === null) child.kill("SIGKILL");
    await server.stop();
  });

  it("logs clients in, serves echo and announce, and ends sessions with `shutdown` on SIGTERM", async () => {
    const bus = await connectNatsBus({ servers: server.url });
    try {
      // --mind-prefix: a mind under game-minds is taken besides inboxes, anything else refused.
      const raw = (mind: string) =>
        bus.request("cred.login", new TextEncoder().encode(JSON.stringify({ credentials: { kind: "anonymous" }, interfaces: ["echo"], mind })));
      const outcome = async (mind: string) => JSON.parse(new TextDecoder().decode(await raw(mind)));
      expect(await outcome("game-minds.alice")).toMatchObject({ ok: true });
      expect(await outcome("elsewhere.alice")).toMatchObject({ ok: false, error: { code: "BadRequest" } });
      // --reply-prefix: a client whose NATS library makes its inboxes under game-replies is
      // answered; one under another prefix meets the silence every non-inbox reply subject gets.
      for (const [inboxPrefix, answered] of [["game-replies", true], ["elsewhere", false]] as const) {
        const own = await connectNats({ servers: server.url, inboxPrefix });
        try {
          const login = own.request("cred.login", JSON.stringify({ credentials: { kind: "anonymous" }, interfaces: ["echo"] }), { timeout: 1_000 });
          if (answered) expect((await login).json()).toMatchObject({ ok: true, anonymous: true });
          else await expect(login).rejects.toThrow(/timeout/i);
        } finally {
          await own.close();
        }
      }
      const client = connect(bus);
      const notes: Notification[] = [];
      const alice = await client.login(new UsernamePassword("alice", "secret"), { interfaces: ["echo"], mind: (n) => notes.push(n) });
      expect(alice.heartbeatMs).toBe(1000);
      expect(await alice.call("echo", [1, "two"])).toEqual([1, "two"]);
      const anon = await client.login(new Anonymous(), { interfaces: ["echo"], mind: (n) => notes.push(n) });
      expect(anon.anonymous).toBe(true);
      await anon.call("announce", "hi from nobody");
      await expect(client.login(new UsernamePassword("alice", "wrong"), { interfaces: ["echo"] })).rejects.toMatchObject({ code: "UnauthorizedLogin" });
      // A ping asking for its reply elsewhere than an inbox is dropped, and said so in the log,
      // with the session's subject (its capability) shortened (outside probe: it was in full).
      bus.publish(`cred.session.${alice.id}.ping`, new TextEncoder().encode("{}"), { reply: "not.an.inbox" });
      await bus.flush();
      await new Promise((resolve) => setTimeout(resolve, 200));

      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const [code] = await exited;
      expect(code).toBe(0);
      expect(await alice.closed).toBe("shutdown");
      expect(await anon.closed).toBe("shutdown");
      expect(notes).toContainEqual({ event: "announce", data: { text: "hi from nobody" } });
      // One structured line per login outcome, and no secret anywhere in the log.
      const stderr = serve.stderr();
      const lines = stderr.trim().split("\n").map((l) => JSON.parse(l));
      expect(lines.filter((l) => l.event === "login").map((l) => l.outcome)).toEqual(["ok", "ok", "ok", "ok", "refused"]);
      expect(stderr).not.toContain("secret");
      expect(stderr).not.toContain("wrong");
      expect(lines.filter((l) => l.event === "forbidden-reply-subject").map((l) => l.subject)).toEqual(["cred.login", `cred.session.${alice.id.slice(0, 6)}….>`]);
      expect(stderr).not.toContain(alice.id);
      expect(stderr).not.toContain(anon.id);
    } finally {
      await bus.close();
    }
  });
});

describe("NATS URLs", () => {
  it("takes the credentials up to the last @, so a generated password may hold @ / # ? unencoded", async () => {
    const { parseNatsUrl, redactNatsUrl } = await import("../../app/connect-bus.ts");
    expect(parseNatsUrl("nats://u:At@P/w#?x@127.0.0.1:4222")).toEqual({ servers: ["nats://127.0.0.1:4222"], user: "u", pass: "At@P/w#?x" });
    expect(parseNatsUrl("nats://u:p%40ss@h:1, nats://u:p%40ss@h:2")).toEqual({ servers: ["nats://h:1", "nats://h:2"], user: "u", pass: "p@ss" });
    expect(parseNatsUrl("tls://s3cr3t-token@h:1")).toEqual({ servers: ["tls://h:1"], token: "s3cr3t-token" });
    expect(parseNatsUrl("127.0.0.1:4222")).toEqual({ servers: ["127.0.0.1:4222"] });
    expect(redactNatsUrl(" nats://u:At@Pw@h:1, nats://h:2")).toBe("nats://***@h:1,nats://h:2");
  });
});

// Twisted's opt_auth: addChecker raises UnsupportedInterfaces, shown as "Auth plugin not supported: …".
it("refuses a plugin whose checker checks no credentials kind with Twisted's usage error, exit 2, before connecting", async () => {
  for (const command of ["serve", "checker", "portal"]) {
    const result = await runCli(["--plugin", "./test/fixtures/no-kinds-plugin.mjs", command, "--nats", "nats://127.0.0.1:1", "--auth", "nokinds:Secret-Kilo9"]);
    expect(result.code, command).toBe(2);
    expect(result.err.split("\n")[0]).toBe("portcullis: Auth plugin not supported: nokinds (its checker checks no credentials kind)");
    expect(result.err).not.toContain("Kilo9");
    expect(result.out).toBe("");
  }
});

it("reports a plugin factory's failure without any piece of its argstring (it may hold a password)", async () => {
  const result = await runCli(["--plugin", "./test/fixtures/failing-plugin.mjs", "checker", "--nats", "nats://127.0.0.1:1", "--auth", "backend:host=db:pw=GenPw-Quebec2"]);
  expect(result.code).toBe(2);
  expect(result.err.split("\n")[0]).toBe("portcullis: --auth backend: cannot open backend with pw=…");
  expect(result.err).not.toContain("Quebec2");
});
