#!/usr/bin/env node
/**
 * `npm test`'s runner: `vitest run` under a watchdog.
 *
 * Runs here hung for ever at the 25th test file, four times in about thirty clean-clone runs: a
 * worker's main thread deadlocked inside Node 20's crypto (a JWK export of a key fresh from
 * `generateKeyPairSync`, and a garbage collection, taking one mutex; the tests now make keys that
 * cannot, test/support/key-pairs.ts). A CI run that hangs is a red run, whatever hangs it next
 * time (a native addon, another runtime bug). So when the run prints nothing for
 * `stallMs` (no test file takes that long: the longest, ~90 s), it is stopped, loudly, and the
 * test files it had not reported are run once more. A file that failed before the stall fails
 * the run; so does a second stall.
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** How long a run may print nothing before it counts as stalled (env PORTCULLIS_TEST_STALL_MS). */
export const DEFAULT_STALL_MS = 240_000;

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
/** A test file's result line in vitest's default reporter: `✓ test/a.test.ts (3 tests) 12ms`. */
const FILE_LINE = /^\s*([✓❯×↓])\s+(\S+\.test\.ts)\b/u;

/**
 * Runs `command args` in a process group of its own, passing its output through; resolves with
 * its exit code, or `stalled` once it printed nothing for `stallMs` (the group is then killed),
 * and the test files it reported as done and as failed.
 */
export function runWatched(command, args, { stallMs = DEFAULT_STALL_MS, cwd = process.cwd(), out = process.stdout, err = process.stderr } = {}) {
  return new Promise((resolve) => {
    // Piped, vitest would print without colours where the terminal has them.
    const env = out.isTTY === true && process.env.FORCE_COLOR === undefined ? { ...process.env, FORCE_COLOR: "1" } : process.env;
    const child = spawn(command, args, { cwd, env, stdio: ["inherit", "pipe", "pipe"], detached: true });
    const passed = new Set();
    const failed = new Set();
    let stalled = false;
    let timer;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        err.write(`\n[vitest-watchdog] nothing printed for ${Math.round(stallMs / 1000)} s: the run is stalled; stopping it.\n`);
        killGroup(child, "SIGKILL");
      }, stallMs);
    };
    const watch = (stream, sink) => {
      let partial = "";
      stream.on("data", (chunk) => {
        arm();
        sink.write(chunk);
        const lines = (partial + chunk.toString("utf8")).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) {
          const match = FILE_LINE.exec(line.replace(ANSI, ""));
          if (match === null) continue;
          (match[1] === "❯" || match[1] === "×" ? failed : passed).add(match[2]);
        }
      });
    };
    watch(child.stdout, out);
    watch(child.stderr, err);
    const forward = (signal) => killGroup(child, signal);
    process.on("SIGINT", forward);
    process.on("SIGTERM", forward);
    arm();
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      for (const file of failed) passed.delete(file);
      resolve({ code: code ?? (signal === null ? 1 : 128), stalled, passed, failed });
    });
  });
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** Every `*.test.ts` under `dir`, as paths relative to `root` with `/` separators (vitest's own). */
export function testFiles(root, dir = "test") {
  const found = [];
  const walk = (at) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".test.ts")) found.push(relative(root, path).split(sep).join("/"));
    }
  };
  walk(join(root, dir));
  return found.sort();
}

/** `vitest run ...args`, and once more for the files left unreported if it stalls; resolves with the exit code. */
export async function runTests(args, { root, stallMs, vitest, command = process.execPath, out = process.stdout, err = process.stderr } = {}) {
  const first = await runWatched(command, [vitest, "run", ...args], { stallMs, cwd: root, out, err });
  if (!first.stalled) return first.code;
  // Only the project's own files count: a test may print such lines of its own.
  const files = testFiles(root);
  const failed = files.filter((file) => first.failed.has(file));
  if (failed.length > 0) {
    err.write(`[vitest-watchdog] the stalled run had already failed: ${failed.join(", ")}\n`);
    return 1;
  }
  // Named files or filters: run them again as given. Otherwise only what was not reported.
  const rest = args.length > 0 ? args : files.filter((file) => !first.passed.has(file));
  if (rest.length === 0) {
    err.write("[vitest-watchdog] every test file had passed before the stall.\n");
    return 0;
  }
  err.write(`[vitest-watchdog] ${first.passed.size} test files had passed; running the other ${args.length > 0 ? "arguments" : `${rest.length} files`} once more.\n`);
  const second = await runWatched(command, [vitest, "run", ...rest], { stallMs, cwd: root, out, err });
  if (second.stalled) {
    err.write("[vitest-watchdog] the second run stalled too: failing.\n");
    return 1;
  }
  return second.code;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const stallMs = Number(process.env.PORTCULLIS_TEST_STALL_MS ?? DEFAULT_STALL_MS);
  const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
  process.exitCode = await runTests(process.argv.slice(2), { root, stallMs, vitest });
}
