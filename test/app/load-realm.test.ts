/** `portcullis realm MODULE`: what a module that cannot be served is told. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRealm } from "../../app/load-realm.ts";

/** What plain Node (no tsx, as the installed command runs) rejects an import of `path` with; undefined when it imports it. */
function nodeImportError(path: string): Error | undefined {
  const script = "import(process.argv[1]).then(() => console.log('{}'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })))";
  const { code, message } = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script, path], { encoding: "utf8" }));
  return message === undefined ? undefined : Object.assign(new Error(message), { code });
}

describe("loadRealm", () => {
  it("says to compile a TypeScript module to .js, or to run it with tsx from a checkout, in one line", async (context) => {
    const dir = mkdtempSync(join(tmpdir(), "portcullis-realm-ts-"));
    const file = join(dir, "counter.ts");
    writeFileSync(file, "export default { requestAvatar() { throw new Error('unused'); } };\n");
    const nodeError = nodeImportError(file);
    // Node 23 strips types by default: there the module loads and there is nothing to say.
    if (nodeError === undefined) return context.skip();
    const importAsNode = () => Promise.reject(nodeError);
    await expect(loadRealm(file, importAsNode)).rejects.toThrow(
      `cannot load realm module ${file}: Node cannot import TypeScript; compile it to .js, or run from a checkout with \`npx tsx app/main.ts realm ${file}\``,
    );
  });

  it("says to write ./NAME when a module named like a package is a file in the working directory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "portcullis-realm-path-"));
    writeFileSync(join(dir, "myrealm.mjs"), "export default { requestAvatar() { throw new Error('unused'); } };\n");
    const previous = process.cwd();
    process.chdir(dir);
    try {
      await expect(loadRealm("myrealm.mjs")).rejects.toThrow(/^cannot load realm module myrealm\.mjs: .*write \.\/myrealm\.mjs to load it/);
      expect(await loadRealm("./myrealm.mjs")).toHaveProperty("requestAvatar");
      // No such file here: Node's message alone.
      await expect(loadRealm("no-such-realm-package")).rejects.not.toThrow(/write \.\//);
    } finally {
      process.chdir(previous);
    }
  });

  it("keeps Node's own message for any other import failure", async () => {
    await expect(loadRealm("./no/such/realm.js")).rejects.toThrow(/^cannot load realm module \.\/no\/such\/realm\.js: .*Cannot find/);
  });
});
