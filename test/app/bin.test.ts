/** The installed `portcullis` command: its first line runs Node with the V8 flags the bench also uses. */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { commandNodeFlags } from "../../bench/compile.ts";

const run = promisify(execFile);
const root = new URL("../../", import.meta.url).pathname;

describe("bin/portcullis.js", () => {
  it("is started by env -S with a larger young generation, and the bench reads the same flags", () => {
    const firstLine = readFileSync(`${root}bin/portcullis.js`, "utf8").split("\n", 1)[0];
    expect(firstLine).toBe("#!/usr/bin/env -S node --max-semi-space-size=64");
    expect(commandNodeFlags(root)).toEqual(["--max-semi-space-size=64"]);
  });

  it("runs as an executable through its first line (npm ci builds dist/ first)", async () => {
    const { stdout } = await run(`${root}bin/portcullis.js`, ["--help-auth"], { cwd: root });
    expect(stdout).toMatch(/memory/);
  });
});
