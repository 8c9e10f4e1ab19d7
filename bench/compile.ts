/** Compiles the project and the bench with tsc, so child processes run what production runs. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

// tsx wraps every function in `__name(...)` (esbuild's keepNames): measured 35% more heap per
// session and ~30% fewer logins/s than the tsc output that `portcullis` and library users run.
let compiledRoot: string | undefined;
let nodeFlags: string[] = [];

/** Runs tsc once; later `childCommand` calls use the compiled JavaScript. */
export function compileBench(repoRoot: string): void {
  execFileSync(process.execPath, [join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", join(repoRoot, "tsconfig.bench.json")], {
    cwd: repoRoot,
    stdio: "inherit",
  });
  compiledRoot = join(repoRoot, ".bench-dist");
  nodeFlags = commandNodeFlags(repoRoot);
}

/**
 * The V8 flags on the `portcullis` command's `#!/usr/bin/env -S node …` line: every Node child of
 * the bench (floors' responders included) runs with them, as the installed command runs.
 */
export function commandNodeFlags(repoRoot: string): string[] {
  const shebang = readFileSync(join(repoRoot, "bin/portcullis.js"), "utf8").split("\n", 1)[0] ?? "";
  const match = /^#!\/usr\/bin\/env -S node(?<flags>( --[\w-]+(=\S+)?)*)\s*$/.exec(shebang);
  if (match === null) throw new Error(`bin/portcullis.js: unexpected first line ${shebang}`);
  return (match.groups?.["flags"] ?? "").trim().split(/\s+/).filter(Boolean);
}

/** Node arguments that run a bench entry (`bench/children/x.ts`): compiled when available, else under tsx. */
export function childArgs(entry: string): string[] {
  return compiledRoot === undefined ? ["--import", "tsx", entry] : [...nodeFlags, join(compiledRoot, entry.replace(/\.ts$/, ".js"))];
}
