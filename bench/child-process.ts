/** Runs a benchmark peer in its own process and talks to it in JSON lines over stdin/stdout. */
import { childArgs } from "./compile.ts";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

/**
 * The line protocol, the same for TypeScript and Python children:
 * - child → parent: `{"type":"ready", ...info}` once, when it can serve;
 *   `{"type":"reply","id":N, ...result}` or `{"type":"error","id":N,"message":"…"}` per command.
 * - parent → child: `{"id":N,"cmd":"name", ...args}`.
 * - the child exits when its stdin closes, so a dead bench never leaves peers behind.
 */
export interface ChildSpec {
  /** Shown in progress and error messages. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** How long the child may take to print its ready line; 15 s when absent. */
  readonly readyTimeoutMs?: number;
}

export interface ChildHandle {
  readonly name: string;
  readonly pid: number;
  /** Whatever the child announced on its ready line (a port, a version…), without `type`. */
  readonly info: Readonly<Record<string, unknown>>;
  /**
   * Sends a command and resolves with the child's reply (without `type` and `id`).
   * Rejects with the child's error message, after `timeoutMs` (30 s when absent), or when it exits.
   */
  call<T = Record<string, unknown>>(cmd: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Closes stdin, then escalates to SIGTERM and SIGKILL if the child lingers; idempotent. */
  stop(): Promise<void>;
}

interface Pending {
  resolve(value: Record<string, unknown>): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** Keeps the child's stderr only for error messages: peers' logs would drown the table. */
const STDERR_TAIL_CHARS = 4000;

/** Starts `spec` and resolves once it printed its ready line; rejects if it exits or times out first. */
export function spawnChild(spec: ChildSpec): Promise<ChildHandle> {
  const child = spawn(spec.command, [...spec.args], {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderrTail = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
  });
  // A child that dies mid-write must not crash the bench with EPIPE.
  child.stdin.on("error", () => {});

  const pending = new Map<number, Pending>();
  let nextId = 1;
  let exited = false;
  const describe = (what: string): Error =>
    new Error(`${spec.name}: ${what}${stderrTail ? `\n--- stderr ---\n${stderrTail.trimEnd()}` : ""}`);

  const exitedPromise = new Promise<void>((resolve) => {
    child.on("exit", (code, signal) => {
      exited = true;
      for (const [id, p] of pending) {
        clearTimeout(p.timer);
        p.reject(describe(`exited (${signal ?? code}) before answering command ${id}`));
      }
      pending.clear();
      resolve();
    });
  });

  return new Promise<ChildHandle>((resolveReady, rejectReady) => {
    let ready = false;
    const readyTimer = setTimeout(() => {
      rejectReady(describe(`no ready line within ${spec.readyTimeoutMs ?? 15_000} ms`));
      child.kill("SIGKILL");
    }, spec.readyTimeoutMs ?? 15_000);
    child.on("error", (error) => {
      clearTimeout(readyTimer);
      rejectReady(describe(`could not start ${spec.command}: ${error.message}`));
    });
    void exitedPromise.then(() => {
      clearTimeout(readyTimer);
      if (!ready) rejectReady(describe(`exited before it was ready`));
    });

    const stop = async (): Promise<void> => {
      if (exited) return;
      child.stdin.end();
      if (await exitsWithin(exitedPromise, 3000)) return;
      child.kill("SIGTERM");
      if (await exitsWithin(exitedPromise, 2000)) return;
      child.kill("SIGKILL");
      await exitedPromise;
    };

    const call = <T>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> => {
      if (exited) return Promise.reject(describe(`has exited; cannot run ${cmd}`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(describe(`no answer to ${cmd} within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve: resolve as (value: Record<string, unknown>) => void, reject, timer });
        child.stdin.write(`${JSON.stringify({ ...args, id, cmd })}\n`);
      });
    };

    const lines = createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY });
    lines.on("line", (line) => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // stray prints are not protocol; ignore them rather than fail the run
      }
      const { type, id, ...rest } = message;
      if (type === "ready" && !ready) {
        ready = true;
        clearTimeout(readyTimer);
        resolveReady({ name: spec.name, pid: child.pid ?? -1, info: rest, call, stop });
        return;
      }
      const p = typeof id === "number" ? pending.get(id) : undefined;
      if (p === undefined) return;
      pending.delete(id as number);
      clearTimeout(p.timer);
      if (type === "error") p.reject(describe(String(rest.message ?? "command failed")));
      else p.resolve(rest);
    });
  });
}

/** Runs a TypeScript entry (path relative to `cwd`) in a fresh Node process: its tsc output when compiled, else under tsx. */
export function spawnTsChild(
  name: string,
  entry: string,
  args: readonly string[],
  cwd: string,
): Promise<ChildHandle> {
  return spawnChild({ name, command: process.execPath, args: [...childArgs(entry), ...args], cwd });
}

async function exitsWithin(exited: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const result = await Promise.race([exited.then(() => true as const), late]);
  clearTimeout(timer);
  return result;
}
