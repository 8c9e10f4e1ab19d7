/** What `npm pack` publishes: every file the README, and each document published, links to is in the package. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

/** The package's files, as `npm pack` lists them (scripts skipped: nothing is built). */
const packed: ReadonlySet<string> = new Set(
  (JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })) as Array<{
    files: Array<{ path: string }>;
  }>)[0]!.files.map((file) => file.path),
);

/** The package paths a Markdown file links to (relative links only, without their #fragment). */
function linkedFrom(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1]!.split("#")[0]!)
    .filter((target) => target !== "" && !/^[a-z][a-z0-9+.-]*:/i.test(target))
    .map((target) => normalize(join(dirname(file), target)));
}

it("publishes every file the README links to (docs included)", () => {
  const targets = linkedFrom("README.md");
  expect(targets).toContain("docs/checkers.md");
  expect(targets.filter((target) => !packed.has(target))).toEqual([]);
});

it("publishes every file the published documents link to", () => {
  const documents = [...packed].filter((path) => path.endsWith(".md"));
  expect(documents.length).toBeGreaterThan(1);
  for (const document of documents) expect(linkedFrom(document).filter((target) => !packed.has(target)), document).toEqual([]);
});

it("builds on `prepare` in a checkout and skips the build in an installed copy, which ships no tsconfig: `npm install <installed copy>` works", async () => {
  // An outside newcomer ran the install the CLI suggests for a plugin's directory, naming the
  // installed copy: npm ran its `prepare`, `tsc -p tsconfig.build.json` failed, exit 1.
  const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  expect(packed.has("tsconfig.build.json")).toBe(false);
  const prepare = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts["prepare"]!;
  const run = (cwd: string) => {
    try {
      execFileSync("sh", ["-c", prepare], { cwd, stdio: "ignore" });
      return 0;
    } catch (error) {
      return (error as { status: number }).status;
    }
  };
  const installed = mkdtempSync(join(tmpdir(), "portcullis-installed-"));
  const checkout = mkdtempSync(join(tmpdir(), "portcullis-checkout-"));
  try {
    expect(run(installed)).toBe(0);
    // A checkout whose build fails still fails its `prepare`.
    writeFileSync(join(checkout, "tsconfig.build.json"), "{}");
    writeFileSync(join(checkout, "package.json"), JSON.stringify({ scripts: { build: "exit 3" } }));
    expect(run(checkout)).not.toBe(0);
  } finally {
    rmSync(installed, { recursive: true, force: true });
    rmSync(checkout, { recursive: true, force: true });
  }
});
