/**
 * `npm run bench:census`: what one live session is made of, by kind of heap object.
 *
 * Compiles the project (as the bench does: tsx would add a name to every closure), starts a
 * private nats-server and, in a child run with --expose-gc, a portal with the in-memory checker
 * and the echo realm; logs N sessions in over NATS (128 at a time, heartbeat one hour), and
 * prints per session the difference between two heap snapshots, by constructor (closures by
 * where they were made). Live sessions are what every scavenge copies under load
 * (docs/performance.md); this shows which of their objects to go after.
 */
import { execFileSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compileBench } from "./compile.ts";
import { startNatsServer } from "./nats-server.ts";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const sessions = Number(process.env["BENCH_CENSUS_SESSIONS"] ?? 20_000);

compileBench(REPO_ROOT);
const server = await startNatsServer(REPO_ROOT);
try {
  execFileSync(process.execPath, ["--expose-gc", join(REPO_ROOT, ".bench-dist/bench/children/heap-census-child.js"), server.url, String(sessions)], {
    cwd: REPO_ROOT,
    stdio: "inherit",
  });
} finally {
  await server.stop();
}
