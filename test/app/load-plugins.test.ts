/** `--plugin PKG`: a bare name is found in the user's project (the working directory's node_modules). */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../../app/cli.ts";

const FACTORY = `export const checkerFactories = [{
  authType: "cwdplug",
  authHelp: "A checker from the working directory's node_modules (a test fixture).",
  argStringFormat: "Anything",
  credentialKinds: ["anonymous"],
  generateChecker() { return { credentialKinds: ["anonymous"], requestAvatarId: () => "nobody" }; },
}];
`;

/** A project directory with `node_modules/cwd-plug`, a one-factory ES module package. */
function projectWithPlugin(): string {
  const project = mkdtempSync(join(tmpdir(), "portcullis-plugin-project-"));
  const dir = join(project, "node_modules", "cwd-plug");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "cwd-plug", version: "1.0.0", type: "module", main: "index.js" }));
  writeFileSync(join(dir, "index.js"), FACTORY);
  return project;
}

async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, { write: (t: string) => ((out += t), true) } as never, { write: (t: string) => ((err += t), true) } as never);
  return { code, out, err };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("--plugin", () => {
  it("loads a bare package name from the working directory's node_modules", async () => {
    vi.spyOn(process, "cwd").mockReturnValue(projectWithPlugin());
    const result = await runCli(["--plugin", "cwd-plug", "--help-auth-type", "cwdplug"]);
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
    expect(result.out).toContain("A checker from the working directory's node_modules");
  });

  it("still says which plugin it cannot load, in one line", async () => {
    vi.spyOn(process, "cwd").mockReturnValue(projectWithPlugin());
    const result = await runCli(["--plugin", "no-such-plug", "--help-auth"]);
    expect(result.code).toBe(2);
    expect(result.err.split("\n")[0]).toMatch(/^portcullis: cannot load plugin no-such-plug: /);
  });
});
