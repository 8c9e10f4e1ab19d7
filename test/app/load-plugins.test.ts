/** `--plugin PKG`: a bare name is found in the user's project (the working directory's node_modules). */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../../app/cli.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

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

  it("loads a bare name's import build, as an import would, where its exports also name a require build", async () => {
    const project = mkdtempSync(join(tmpdir(), "portcullis-plugin-project-"));
    const dir = join(project, "node_modules", "dual-plug");
    mkdirSync(join(dir, "lib"), { recursive: true });
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "dual-plug", type: "module", exports: { ".": { import: "./lib/p.js", require: "./lib/p.cjs" } } }));
    writeFileSync(join(dir, "lib", "p.js"), FACTORY.replaceAll("cwdplug", "dualplug"));
    writeFileSync(join(dir, "lib", "p.cjs"), "module.exports = { nothing: true };\n");
    vi.spyOn(process, "cwd").mockReturnValue(join(project, "node_modules", ".."));
    const result = await runCli(["--plugin", "dual-plug", "--help-auth-type", "dualplug"]);
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
  });

  it("still says which plugin it cannot load, in one line", async () => {
    vi.spyOn(process, "cwd").mockReturnValue(projectWithPlugin());
    const result = await runCli(["--plugin", "no-such-plug", "--help-auth"]);
    expect(result.code).toBe(2);
    expect(result.err.split("\n")[0]).toMatch(/^portcullis: cannot load plugin no-such-plug: /);
  });

  it("says how to fix a plugin in a directory of its own that imports \"portcullis\" where Node cannot find it", async () => {
    // An outside probe's plugin, as the README describes one, named by path: Node resolves its
    // imports from where it is, and no node_modules/portcullis was there.
    const dir = mkdtempSync(join(tmpdir(), "portcullis-plugin-alone-"));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "alone", type: "module", peerDependencies: { portcullis: "*" } }));
    writeFileSync(join(dir, "index.js"), `import { UnauthorizedLogin } from "portcullis";\n${FACTORY.replaceAll("cwdplug", "alone")}export const unused = UnauthorizedLogin;\n`);
    // In a process of its own: vitest's resolver would find the package under test by its name.
    const child = spawn(process.execPath, ["--import", "tsx", "app/main.ts", "--plugin", dir, "--help-auth"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr!.on("data", (chunk) => (err += chunk));
    const [code] = await once(child, "exit");
    expect(code).toBe(2);
    const line = err.split("\n")[0]!;
    expect(line).toContain(`cannot load plugin ${dir}: Cannot find package 'portcullis'`);
    // The package is not on the npm registry: the hint names this very copy of it.
    expect(line).toContain(`run \`npm install ${root.replace(/\/$/, "")}\` in its directory`);
    expect(line).not.toContain("npm install portcullis");
  });

  /** A package directory outside any node_modules, named by path, whose entry point is given by `manifest`. */
  function pluginDirectory(authType: string, manifest: Record<string, unknown>, file: string): string {
    const dir = mkdtempSync(join(tmpdir(), "portcullis-plugin-dir-"));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: authType, version: "1.0.0", type: "module", ...manifest }));
    mkdirSync(join(dir, "lib"), { recursive: true });
    writeFileSync(join(dir, file), FACTORY.replaceAll("cwdplug", authType));
    return dir;
  }

  it("loads a package directory named by its path, through its package.json's exports, main or index.js", async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["dirmain", { main: "lib/entry.js" }, "lib/entry.js"],
      ["direxports", { exports: { ".": { import: "./lib/mod.js" } } }, "lib/mod.js"],
      ["dirindex", {}, "index.js"],
      // As Node itself reads them: a main without its extension, an array, conditions in the package's order.
      ["dirnoext", { main: "./lib/entry" }, "lib/entry.js"],
      ["dirarray", { exports: ["./lib/mod.js"] }, "lib/mod.js"],
      ["dirorder", { exports: { default: "./lib/mod.js", import: "./lib/missing.js" } }, "lib/mod.js"],
    ];
    for (const [authType, manifest, file] of cases) {
      const dir = pluginDirectory(authType, manifest, file);
      const result = await runCli(["--plugin", dir, "--help-auth-type", authType]);
      expect(result.err).toBe("");
      expect(result.code).toBe(0);
      expect(result.out).toContain("A checker from the working directory's node_modules");
    }
    // Relative to the working directory, with a trailing slash.
    const dir = pluginDirectory("dirrelative", {}, "index.js");
    vi.spyOn(process, "cwd").mockReturnValue(join(dir, ".."));
    const relative = await runCli(["--plugin", `./${dir.split("/").pop()}/`, "--help-auth-type", "dirrelative"]);
    expect(relative.code).toBe(0);
    // The same plugin named twice (its module is imported once) is no conflict.
    const twice = await runCli(["--plugin", dir, "--plugin", join(dir, "index.js"), "--help-auth-type", "dirrelative"]);
    expect(twice.code).toBe(0);
  });

  it("refuses an auth type --auth cannot name, and says which fields a half-written factory lacks (outside newcomer)", async () => {
    const spaced = await runCli(["--plugin", pluginDirectory("bad type!", {}, "index.js"), "--help-auth"]);
    expect(spaced.code).toBe(2);
    expect(spaced.err).toContain('auth type "bad type!" is not a name --auth can take');
    const dir = mkdtempSync(join(tmpdir(), "portcullis-plugin-half-"));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "half", version: "1.0.0", type: "module" }));
    writeFileSync(join(dir, "index.js"), `export const half = { authType: "half", generateChecker() {} };\n`);
    const half = await runCli(["--plugin", dir, "--help-auth"]);
    expect(half.code).toBe(2);
    expect(half.err).toContain("exports no checker factory: an export looks like one but lacks authHelp (string), argStringFormat (string), credentialKinds (array)");
  });

  it("refuses a plugin whose factory takes a built-in auth type, with a usage error naming it", async () => {
    const dir = pluginDirectory("memory", {}, "index.js");
    const result = await runCli(["--plugin", dir, "--help-auth"]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/auth type memory is already taken/);
  });
});
