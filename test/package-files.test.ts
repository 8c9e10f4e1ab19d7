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
