/** `npm test`'s watchdog (test/support/vitest-watchdog.mjs): a stalled vitest run is stopped and what it left unreported runs again. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../support/wire.ts";
// @ts-expect-error: a plain .mjs script without type declarations.
import { runTests, testFiles } from "../support/vitest-watchdog.mjs";

const FAKE = fileURLToPath(new URL("../fixtures/fake-vitest.mjs", import.meta.url));
const GREEN = "\u001b[32m✓\u001b[39m";

interface Call {
  readonly args: string[];
  readonly childPid?: number;
}

describe("vitest watchdog", () => {
  let root: string;

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A project with three test files, and what the fake vitest does on each run. */
  function project(script: object[]): void {
    root = mkdtempSync(join(tmpdir(), "watchdog-"));
    mkdirSync(join(root, "test", "c"), { recursive: true });
    for (const file of ["test/a.test.ts", "test/b.test.ts", "test/c/d.test.ts"]) writeFileSync(join(root, file), "");
    writeFileSync(join(root, "script.json"), JSON.stringify(script));
  }

  const run = async (args: string[] = []) => {
    const messages: string[] = [];
    const err = { write: (text: string) => messages.push(text) };
    // Not to this worker's own output: its lines would read as this run's results.
    const out = { write: () => true };
    const code = (await runTests(args, { root, stallMs: 400, vitest: FAKE, out, err })) as number;
    const calls = JSON.parse(readFileSync(join(root, "calls.json"), "utf8")) as Call[];
    return { code, calls, messages: messages.join("") };
  };

  /** Running (a killed process nobody reaped yet is a zombie: it runs nothing). */
  const running = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
    } catch {
      return false;
    }
  };

  it("stops a run that prints nothing for stallMs, with its whole process group, and runs the files it left unreported once more", async () => {
    project([
      { print: [` ${GREEN} test/a.test.ts (1 test) 5ms`, " ✓ test/c/d.test.ts (2 tests) 7ms", "   ✓ a test's own line"], then: "hang", child: true },
      { print: [" ✓ test/b.test.ts (1 test) 5ms"], then: 0 },
    ]);
    const { code, calls, messages } = await run();
    expect(code).toBe(0);
    expect(calls.map((c) => c.args)).toEqual([["run"], ["run", "test/b.test.ts"]]);
    expect(messages).toContain("stalled");
    await waitFor(() => !running(calls[0]!.childPid!), 2_000);
  });

  it("fails without a second run when a file had failed before the stall", async () => {
    project([{ print: [" ✓ test/a.test.ts (1 test) 5ms", " ❯ test/b.test.ts (2 tests | 1 failed) 9ms", " ❯ test/elsewhere.test.ts (1 test | 1 failed)"], then: "hang" }]);
    const { code, calls, messages } = await run();
    expect(code).toBe(1);
    expect(calls).toHaveLength(1);
    expect(messages).toContain("already failed: test/b.test.ts\n");
  });

  it("fails when the second run stalls too", async () => {
    project([{ print: [" ✓ test/a.test.ts (1 test) 5ms"], then: "hang" }, { then: "hang" }]);
    const { code, calls } = await run();
    expect(code).toBe(1);
    expect(calls.map((c) => c.args)).toEqual([["run"], ["run", "test/b.test.ts", "test/c/d.test.ts"]]);
  });

  it("passes a run's own exit code through, and never runs twice a run that ended by itself", async () => {
    project([{ print: [" ❯ test/a.test.ts (1 test | 1 failed) 5ms"], then: 3 }]);
    const { code, calls } = await run(["test/a.test.ts"]);
    expect(code).toBe(3);
    expect(calls.map((c) => c.args)).toEqual([["run", "test/a.test.ts"]]);
  });

  it("runs named files again as given after a stall", async () => {
    project([{ then: "hang" }, { print: [" ✓ test/a.test.ts (1 test) 5ms"], then: 0 }]);
    const { code, calls } = await run(["test/a.test.ts", "-t", "name"]);
    expect(code).toBe(0);
    expect(calls.map((c) => c.args)).toEqual([
      ["run", "test/a.test.ts", "-t", "name"],
      ["run", "test/a.test.ts", "-t", "name"],
    ]);
  });

  it("lists the project's test files as vitest names them", () => {
    project([]);
    expect(testFiles(root)).toEqual(["test/a.test.ts", "test/b.test.ts", "test/c/d.test.ts"]);
  });
});
