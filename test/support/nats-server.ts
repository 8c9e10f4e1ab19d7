/** Starts a real nats-server from the repository's nats.conf on a free loopback port, for end-to-end tests. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, relative, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import { findNatsServer } from "./ensure-nats-server.ts";

/** A running server; `stop()` ends it and removes its storage. */
export interface NatsServerHandle {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  /** Freezes the server's process (SIGSTOP) until `resume()`: a server that reads nothing for a while. */
  pause(): void;
  resume(): void;
}

export interface NatsServerOptions {
  /** The config file; `<repo>/nats.conf` when absent. Address, port and JetStream store dir are overridden. */
  readonly config?: string;
  /** Extra command-line arguments for nats-server. */
  readonly args?: readonly string[];
  /** This port instead of a free one (to restart a server where its clients will reconnect). */
  readonly port?: number;
  /** false: no JetStream (give a `config` without a jetstream block too). */
  readonly jetstream?: boolean;
}

const DEFAULT_CONFIG = fileURLToPath(new URL("../../nats.conf", import.meta.url));
const READY_TIMEOUT_MS = 10_000;
const KILL_AFTER_MS = 3_000;
const ATTEMPTS = 5;

/** Rejects when no binary is found or the server is not ready within 10 s (its stderr is in the message). */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const binary = findNatsServer();
  if (binary === undefined) throw new Error("sudo apt-get update && sudo apt-get install -y nats-server");
  let lastError: unknown;
  // A free port can be taken between probing and binding: try again with another one.
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = options.port ?? (await freePort());
    const storeDir = mkdtempSync(join(tmpdir(), "portcullis-nats-"));
    const config = wrapConfig(options.config ?? DEFAULT_CONFIG, storeDir, options.jetstream ?? true);
    const args = ["-c", config, "-a", "127.0.0.1", "-p", String(port), ...(options.args ?? [])];
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    try {
      await waitUntilReady(child);
      return {
        url: `nats://127.0.0.1:${port}`,
        port,
        stop: () => (child.kill("SIGCONT"), stop(child, storeDir)),
        pause: () => void child.kill("SIGSTOP"),
        resume: () => void child.kill("SIGCONT"),
      };
    } catch (error) {
      lastError = error;
      await stop(child, storeDir);
      if (!String(error).includes("address already in use")) break;
    }
  }
  throw lastError;
}

// `-sd` cannot override a config's jetstream.store_dir (nats-server refuses a "Duplicate
// 'store_dir'"), but a later jetstream block in a wrapping config can. JetStream is therefore
// always on, in the fresh directory.
function wrapConfig(config: string, storeDir: string, withJetStream: boolean): string {
  const wrapper = join(storeDir, "nats.conf");
  // nats-server resolves includes relative to the including file, even absolute-looking ones.
  const included = relative(storeDir, resolvePath(config));
  const jetstream = withJetStream ? `jetstream {\n  store_dir: ${JSON.stringify(join(storeDir, "jetstream"))}\n}\n` : "";
  writeFileSync(wrapper, `include ${JSON.stringify(included)}\n${jetstream}`);
  return wrapper;
}

// Never 4222: a system server may be listening there.
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => {
        if (typeof address === "object" && address !== null) resolve(address.port);
        else reject(new Error("could not find a free port"));
      });
    });
  });
}

function waitUntilReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = "";
    const fail = (why: string): void => {
      cleanup();
      reject(new Error(`nats-server ${why}:\n${log}`));
    };
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      if (log.includes("Server is ready")) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null): void => fail(`exited with code ${code}`);
    const onError = (error: Error): void => fail(`failed to start (${error.message})`);
    const timer = setTimeout(() => fail(`was not ready after ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stderr!.off("data", onData);
      child.stdout!.off("data", onData);
      child.off("exit", onExit);
      child.off("error", onError);
      // Keep reading so that a chatty server never blocks on a full pipe.
      child.stderr!.resume();
      child.stdout!.resume();
    };
    child.stderr!.on("data", onData);
    child.stdout!.on("data", onData);
    child.once("exit", onExit);
    child.once("error", onError);
  });
}

async function stop(child: ChildProcess, storeDir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS);
    await exited;
    clearTimeout(timer);
  }
  rmSync(storeDir, { recursive: true, force: true });
}

/**
 * nats.conf's restricted client user, for end-to-end permission tests. Development values:
 * nats.conf says why they are public and what production must do instead.
 */
export const DEV_CLIENT = { user: "portcullis-client", pass: "portcullis-dev-client" } as const;
