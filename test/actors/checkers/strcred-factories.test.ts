/** The `file`, `hashed` and `htpasswd` auth types (Twisted's cred_file shape). */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  fileCheckerFactory,
  FilePasswordDB,
  findCheckerFactory,
  hashedCheckerFactory,
  HashedPasswordChecker,
  htpasswdCheckerFactory,
  INVALID_FILE_WARNING,
  InvalidAuthArgumentString,
  makeChecker,
  UsernamePassword,
} from "../../../actors/index.ts";
import { cheap, HTPASSWD_VECTORS } from "./checker-cases.ts";

describe("file, hashed and htpasswd auth types", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "portcullis-strcred-"));
    writeFileSync(join(dir, "passwd"), "alice:secret\n");
    writeFileSync(join(dir, ".htpasswd"), `bob:${HTPASSWD_VECTORS.bob[1]}\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("registers each factory under its auth type", () => {
    expect(findCheckerFactory("file")).toBe(fileCheckerFactory);
    expect(findCheckerFactory("hashed")).toBe(hashedCheckerFactory);
    expect(findCheckerFactory("htpasswd")).toBe(htpasswdCheckerFactory);
    expect(fileCheckerFactory.credentialKinds).toEqual(["username-password", "username-hashed-password"]);
  });

  it("makes a FilePasswordDB from file:PATH", async () => {
    const checker = await makeChecker(`file:${join(dir, "passwd")}`);
    expect(checker).toBeInstanceOf(FilePasswordDB);
    expect(await checker.requestAvatarId(new UsernamePassword("alice", "secret"))).toBe("alice");
  });

  it("makes hashed and htpasswd checkers from their paths", async () => {
    const hashes = join(dir, "hashes");
    writeFileSync(hashes, `carol:${await cheap.bcrypt.hash("pw")}\n`);
    const hashed = await makeChecker(`hashed:${hashes}`);
    expect(hashed).toBeInstanceOf(HashedPasswordChecker);
    expect(await hashed.requestAvatarId(new UsernamePassword("carol", "pw"))).toBe("carol");
    const htpasswd = await makeChecker(`htpasswd:${join(dir, ".htpasswd")}`);
    expect(await htpasswd.requestAvatarId(new UsernamePassword("bob", "hunter2"))).toBe("bob");
  });

  it.each(["file", "hashed", "htpasswd"])("rejects %s without a filename with InvalidAuthArgumentString", async (type) => {
    await expect(makeChecker(`${type}:`)).rejects.toBeInstanceOf(InvalidAuthArgumentString);
    await expect(makeChecker(`${type}:  `)).rejects.toThrow(`'${type}' requires a filename`);
  });

  it("warns, as Twisted does, but still makes the checker when the path is not a file", async () => {
    let written = "";
    const previous = fileCheckerFactory.errorOutput;
    fileCheckerFactory.errorOutput = { write: (text: string) => (written += text) };
    try {
      const checker = await makeChecker(`file:${join(dir, "missing")}`);
      expect(checker).toBeInstanceOf(FilePasswordDB);
      expect(written).toBe(`${INVALID_FILE_WARNING}: ${join(dir, "missing")}\n`);
    } finally {
      fileCheckerFactory.errorOutput = previous;
    }
  });
});
