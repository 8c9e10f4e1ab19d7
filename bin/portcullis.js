#!/usr/bin/env -S node --max-semi-space-size=64
// The installed command runs the compiled CLI (built by `npm run build`, run on install by `prepare`).
// A bigger young generation than V8's default 16 MB: a portal keeps what each login allocates for
// the session's whole life, and fewer scavenges of those survivors gave ~10% more logins/s
// (docs/performance.md). `npm run bench` runs its Node children with the flags of this line.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const compiled = new URL("../dist/app/main.js", import.meta.url);
if (!existsSync(fileURLToPath(compiled))) {
  process.stderr.write("portcullis: not built yet; run `npm run build` (or `npx tsx app/main.ts ...` from a checkout)\n");
  process.exit(1);
}
await import(compiled.href);
