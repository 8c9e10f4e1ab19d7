/** Compiles the project and the bench with tsc, so child processes run what production runs. */
import { execFileSync } from "node:child_process";
import { join } from "node:path";

// tsx wraps every function in `__name(...)` (esbuild's keepNames): measured 35% more heap per
// session and ~30% fewer logins/s than the tsc output that `portcullis` and library users run.
let compiledRoot: string | undefined;

/** Runs tsc once; later `childCommand` calls use the compiled JavaScript. */
export function compileBench(repoRoot: string): void {
  execFileSync(process.execPath, [join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", join(repoRoot, "tsconfig.bench.json")], {
    cwd: repoRoot,
    stdio: "inherit",
  });
  compiledRoot = join(repoRoot, ".bench-dist");
}

/** Node arguments that run a bench entry (`bench/children/x.ts`): compiled when available, else under tsx. */
export function childArgs(entry: string): string[] {
  return compiledRoot === undefined ? ["--import", "tsx", entry] : [join(compiledRoot, entry.replace(/\.ts$/, ".js"))];
}
