/** Child of bench/heap-census.ts (node --expose-gc): logs sessions in and prints the heap they hold, by object kind. */
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Session } from "node:inspector/promises";
import { writeHeapSnapshot } from "node:v8";
import { connect } from "@nats-io/transport-node";
import { InMemoryUsernamePasswordDatabaseDontUse, servePortal, SimpleRealm } from "../../actors/index.ts";
import { connectNatsBus } from "../../transports/index.ts";

const [natsUrl, count] = process.argv.slice(2);
if (natsUrl === undefined || count === undefined) throw new Error("usage: heap-census-child.js <natsUrl> <sessions>");
const n = Number(count);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("heap-census-child.js needs node --expose-gc");

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; location_fields: string[] } };
  nodes: number[];
  strings: string[];
  locations: number[];
}

/** Script id → file (relative to the compiled tree), from the debugger's list of parsed scripts. */
async function scriptFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const session = new Session();
  session.connect();
  session.on("Debugger.scriptParsed", ({ params }) => {
    files.set(params.scriptId, params.url.replace(/^.*\/\.bench-dist\//, "").replace(/^.*\/node_modules\//, ""));
  });
  await session.post("Debugger.enable");
  await session.post("Debugger.disable");
  session.disconnect();
  return files;
}

/** Objects by kind: [count, self bytes]; closures also by where they were made. */
function census(file: string, files: ReadonlyMap<string, string>): Map<string, [number, number]> {
  const snap = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  rmSync(file);
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [type, name, size] = ["type", "name", "self_size"].map((f) => fields.indexOf(f)) as [number, number, number];
  const byKind = new Map<string, [number, number]>();
  const add = (key: string, bytes: number) => {
    const entry = byKind.get(key) ?? [0, 0];
    entry[0]++;
    entry[1] += bytes;
    byKind.set(key, entry);
  };
  const kindAt = (i: number): string => {
    const t = types[snap.nodes[i + type]!]!;
    if (t === "object") return snap.strings[snap.nodes[i + name]!]!;
    if (t === "closure") return `closure ${snap.strings[snap.nodes[i + name]!] || "(anonymous)"}`;
    return t.includes("string") ? "string" : `(${t})`;
  };
  for (let i = 0; i < snap.nodes.length; i += fields.length) add(kindAt(i), snap.nodes[i + size]!);
  // Where each closure was made: script id, line and column of the compiled JavaScript.
  const loc = snap.snapshot.meta.location_fields;
  const [object, script, line, column] = ["object_index", "script_id", "line", "column"].map((f) => loc.indexOf(f)) as [number, number, number, number];
  for (let i = 0; i < snap.locations.length; i += loc.length) {
    const at = snap.locations[i + object]!;
    if (types[snap.nodes[at + type]!] !== "closure") continue;
    const where = files.get(String(snap.locations[i + script])) ?? `script ${snap.locations[i + script]}`;
    add(`  a closure made at ${where}:${snap.locations[i + line]! + 1}:${snap.locations[i + column]! + 1}`, 0);
  }
  return byKind;
}

async function settled(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const bus = await connectNatsBus({ servers: natsUrl, name: "bench-heap-census" });
const portal = await servePortal(bus, {
  realm: new SimpleRealm(),
  checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })],
  heartbeatMs: 3_600_000,
  discoverCheckers: false,
  rateLimiter: null,
  maxSessions: Number.POSITIVE_INFINITY,
});
const client = await connect({ servers: natsUrl, noAsyncTraces: true });
const request = new TextEncoder().encode(JSON.stringify({ credentials: { kind: "username-password", username: "alice", password: "secret" }, interfaces: ["echo"] }));
const login = async () => {
  const reply = new TextDecoder().decode((await client.request("cred.login", request, { timeout: 10_000 })).data);
  if (!reply.startsWith('{"ok":true')) throw new Error(`login failed: ${reply}`);
};
// Warm: code compiled, pools and caches filled, before the first snapshot.
for (let i = 0; i < 2000; i++) await login();
await settled();
const files = await scriptFiles();
const before = census(writeHeapSnapshot(join(tmpdir(), `census-before-${process.pid}.heapsnapshot`)), files);
let started = 0;
await Promise.all(Array.from({ length: 128 }, async () => {
  while (started < n) {
    started++;
    await login();
  }
}));
await settled();
const after = census(writeHeapSnapshot(join(tmpdir(), `census-after-${process.pid}.heapsnapshot`)), files);

const rows = [...after]
  .map(([kind, [objects, bytes]]) => {
    const [objects0, bytes0] = before.get(kind) ?? [0, 0];
    return { kind, objects: (objects - objects0) / n, bytes: (bytes - bytes0) / n };
  })
  .filter((row) => row.objects >= 0.5)
  .sort((a, b) => b.bytes - a.bytes || b.objects - a.objects);
const total = rows.reduce((sum, row) => sum + row.bytes, 0);
process.stdout.write(`${n} live sessions: ${Math.round(total)} B each (self sizes; closures' places are lines of the compiled .bench-dist)\n`);
for (const row of rows) process.stdout.write(`${row.bytes.toFixed(0).padStart(6)} B ${row.objects.toFixed(2).padStart(6)} ×  ${row.kind}\n`);
await client.close();
await portal.close();
await bus.close();
