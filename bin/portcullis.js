#!/usr/bin/env node
// The installed command runs the compiled CLI (built by `npm run build`, run on install by `prepare`).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const compiled = new URL("../dist/app/main.js", import.meta.url);
if (!existsSync(fileURLToPath(compiled))) {
  process.stderr.write("portcullis: not built yet; run `npm run build` (or `npx tsx app/main.ts ...` from a checkout)\n");
  process.exit(1);
}
await import(compiled.href);
