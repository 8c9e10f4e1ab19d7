/** A private nats-server for one bench run: free loopback port, throwaway store dir, stopped at the end. */
import { execFile, spawn } from "node:child_process";
import { constants, existsSync } from "node:fs";
import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { promisify } from "node:util";

export interface NatsServer {
  readonly url: string;
  readonly version: string;
  /** The config file the server was started with, or null when there was none. */
  readonly config: string | null;
  /** SIGTERM, then SIGKILL if it lingers; removes the store dir; idempotent. */
  stop(): Promise<void>;
}

/** Never the default port: a developer's own server (or the demo) may be using it. */
const RESERVED_PORT = 4222;
const FALLBACK_BINARY = "/usr/sbin/nats-server";
const READY_TIMEOUT_MS = 10_000;

/**
 * Starts nats-server with the repository's nats.conf when present (flags override its
 * address and port). Rejects when no binary is found or the server does not accept
 * connections within 10 s, with the server's stderr in the message.
 */
export async function startNatsServer(repoRoot: string): Promise<NatsServer> {
  const binary = await findBinary();
  const version = await binaryVersion(binary);
  const conf = resolve(repoRoot, "nats.conf");
  const config = existsSync(conf) ? conf : null;
  const port = await freePort();
  const storeDir = await mkdtemp(join(tmpdir(), "portcullis-bench-nats-"));
  // nats-server 2.9 refuses `-sd` when the config sets store_dir too ("Duplicate 'store_dir'"),
  // so then the flag is left out and the server runs inside the throwaway dir, where a
  // relative store_dir lands; a config without store_dir gets the flag, so JetStream
  // never shares the machine-wide default dir.
  const storeDirFlag = config && setsStoreDir(await readFile(config, "utf8")) ? [] : ["-sd", storeDir];
  const args = [...(config ? ["-c", config] : []), "-a", "127.0.0.1", "-p", String(port), ...storeDirFlag];

  const server = spawn(binary, args, { cwd: storeDir, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  server.stderr.setEncoding("utf8");
  server.stderr.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  let exited = false;
  const exitedPromise = new Promise<void>((done) => {
    server.on("exit", () => {
      exited = true;
      done();
    });
    server.on("error", () => {
      exited = true;
      done();
    });
  });

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      if (!exited) {
        server.kill("SIGTERM");
        const timer = setTimeout(() => server.kill("SIGKILL"), 5000);
        await exitedPromise;
        clearTimeout(timer);
      }
      await rm(storeDir, { recursive: true, force: true });
    })());

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await accepts(port))) {
    if (exited || Date.now() > deadline) {
      await stop();
      const why = exited ? "exited" : `did not listen within ${READY_TIMEOUT_MS} ms`;
      throw new Error(`nats-server ${args.join(" ")} ${why}\n--- stderr ---\n${stderr.trimEnd()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { url: `nats://127.0.0.1:${port}`, version, config, stop };
}

function setsStoreDir(configText: string): boolean {
  return configText.split("\n").some((line) => /^\s*store_dir\s*[:=\s]/.test(line));
}

async function findBinary(): Promise<string> {
  const candidates = [
    ...(process.env.PATH ?? "").split(delimiter).filter(Boolean).map((dir) => join(dir, "nats-server")),
    FALLBACK_BINARY,
  ];
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next one
    }
  }
  throw new Error(`nats-server not found on PATH nor at ${FALLBACK_BINARY}`);
}

async function binaryVersion(binary: string): Promise<string> {
  const { stdout } = await promisify(execFile)(binary, ["--version"]);
  return stdout.trim().replace(/^nats-server:\s*/, "");
}

/** Asks the kernel for an unused loopback port; the tiny race until nats-server binds is accepted. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((done, fail) => {
      const probe = createServer();
      probe.once("error", fail);
      probe.listen(0, "127.0.0.1", () => {
        const address = probe.address();
        probe.close(() => done(typeof address === "object" && address ? address.port : 0));
      });
    });
    if (port !== 0 && port !== RESERVED_PORT) return port;
  }
}

/** A TCP connect rather than parsing logs: nats.conf may send the log to a file. */
function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}
