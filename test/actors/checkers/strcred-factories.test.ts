/** The `file`, `hashed`, `htpasswd`, `sshkey` and `memory` auth types (Twisted's cred_file shape), the logger they are handed, and strcred's errors. */
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
  InvalidAuthType,
  makeChecker,
  registerCheckerFactory,
  ScramChecker,
  scramClient,
  ScramCredentials,
  StrcredException,
  supportedKinds,
  UnauthorizedLogin,
  UnsupportedKinds,
  UsernamePassword,
} from "../../../actors/index.ts";
import { captureLogs } from "../../support/capture-logs.ts";
import { cheap, HTPASSWD_VECTORS } from "./checker-cases.ts";

/** The pino lines logged so far, parsed (levels: 40 warn, 50 error). */
const entries = (logs: ReturnType<typeof captureLogs>) => logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>);

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

  it("hands makeChecker's logger to the file checker: bad lines at start-up, a missing file at login", async () => {
    const path = join(dir, "passwd-bad");
    writeFileSync(path, "alice:secret\nblank:\nmallory:Pq7:Zr9\n");
    const logs = captureLogs();
    const checker = await makeChecker(`file:${path}`, { logger: logs.logger });
    // Warnings and errors only: a file just written is read once it settled (a debug line says so).
    expect(entries(logs).filter((entry) => (entry["level"] as number) > 20)).toEqual([
      expect.objectContaining({ level: 40, passwordFile: path, line: 2 }),
      expect.objectContaining({ level: 40, passwordFile: path, line: 3 }),
    ]);
    rmSync(path);
    const previous = fileCheckerFactory.errorOutput;
    fileCheckerFactory.errorOutput = { write: () => true }; // Twisted's "not a valid file", tested below
    const missing = await makeChecker(`file:${path}`, { logger: logs.logger }).finally(() => (fileCheckerFactory.errorOutput = previous));
    await expect((async () => missing.requestAvatarId(new UsernamePassword("alice", "secret")))()).rejects.toBeInstanceOf(UnauthorizedLogin);
    expect(entries(logs).filter((e) => e["level"] === 50 && e["passwordFile"] === path).length).toBeGreaterThanOrEqual(1);
    expect(await checker.requestAvatarId(new UsernamePassword("alice", "secret"))).toBe("alice"); // the last good contents
    expect(logs.lines.join("\n")).not.toMatch(/secret|Pq7|Zr9|blank|mallory/);
  });

  it.each(["hashed", "htpasswd"])("hands makeChecker's logger to the %s checker, which logs a plaintext file's path and line number at start-up", async (type) => {
    const path = join(dir, `plain-${type}`);
    writeFileSync(path, `bob:${HTPASSWD_VECTORS.bob[1]}\nalice:Pq7-plain\n`);
    const logs = captureLogs();
    const checker = await makeChecker(`${type}:${path}`, { logger: logs.logger });
    // Just written: read again once it settled (a debug line says so), then refused as malformed.
    expect(entries(logs).filter((entry) => (entry["level"] as number) > 20)).toEqual([expect.objectContaining({ level: 50, passwordFile: path, line: 2 })]);
    await expect((async () => checker.requestAvatarId(new UsernamePassword("bob", "hunter2")))()).rejects.toBeInstanceOf(UnauthorizedLogin);
    expect(logs.lines.join("\n")).not.toMatch(/Pq7|SHA|hunter2/);
  });

  it("hands makeChecker's logger to the sshkey checker: a missing file and bad lines, by line number", async () => {
    const keys = join(dir, "authorized_keys");
    writeFileSync(keys, "# comment\necdsa-sha2-nistp256 AAAAE2VjZHNh unsupported\nnot a key\n");
    const logs = captureLogs();
    await makeChecker(`sshkey:alice=${keys}:bob=${join(dir, "no-such-keys")}`, { logger: logs.logger });
    expect(entries(logs)).toEqual([
      expect.objectContaining({ level: 40, file: keys, line: 2 }),
      expect.objectContaining({ level: 40, file: keys, line: 3 }),
      expect.objectContaining({ level: 40, file: join(dir, "no-such-keys"), err: "ENOENT" }),
    ]);
    expect(logs.lines.join("\n")).not.toMatch(/AAAAE2VjZHNh|not a key/);
  });

  it("still runs a third-party factory that takes no context", async () => {
    const checker = new FilePasswordDB(join(dir, "passwd"));
    registerCheckerFactory({
      authType: "legacy-test",
      authHelp: "A factory written before the context argument.",
      argStringFormat: "none",
      credentialKinds: ["username-password"],
      generateChecker: (argstring: string) => (expect(argstring).toBe("x"), checker),
    });
    expect(await makeChecker("legacy-test:x", { logger: captureLogs().logger })).toBe(checker);
    expect(await makeChecker("legacy-test:x")).toBe(checker);
  });

  it.each(["memory", "scram"])("refuses an empty username or password, or a user named twice, in %s:U:P with InvalidAuthArgumentString", async (type) => {
    for (const args of [":pw", "alice:pw::pw2", ":", "alice:", "alice:pw:bob:", "alice:Pw1-x:alice:Pw2-y", "alice"]) {
      await expect(makeChecker(`${type}:${args}`), args).rejects.toThrow(InvalidAuthArgumentString);
    }
    await expect(makeChecker(`${type}:alice:Pw1-x:alice:Pw2-y`)).rejects.toThrow(/^argstring names user alice twice$/);
    // What it does take: two users, each with the password after the name.
    const checker = await makeChecker(`${type}:alice:pw:bob:pw2`);
    for (const [username, password, expected] of [
      ["alice", "pw", "alice"],
      ["bob", "pw2", "bob"],
      ["alice", "pw2", UnauthorizedLogin],
      ["bob", "pw", UnauthorizedLogin],
    ] as const) {
      // A checker may refuse by throwing at once or by rejecting: both become a rejection here.
      const outcome = (async () => checker.requestAvatarId(type === "memory" ? new UsernamePassword(username, password) : scramLogin(checker as ScramChecker, username, password)))();
      if (typeof expected === "string") await expect(outcome).resolves.toBe(expected);
      else await expect(outcome).rejects.toBeInstanceOf(expected);
    }
  });

  it("refuses an empty username or password in memory:U:P with InvalidAuthArgumentString, and takes an empty argstring as no users", async () => {
    for (const description of ["memory::pw", "memory:alice:pw::pw2", "memory::", "memory:alice:", "memory:alice:pw:bob:"]) {
      await expect(makeChecker(description), description).rejects.toThrow(InvalidAuthArgumentString);
    }
    await expect(makeChecker("memory::pw")).rejects.toThrow("argstring must be in format U:P:...");
    const empty = await makeChecker("memory:");
    await expect((async () => empty.requestAvatarId(new UsernamePassword("", "")))()).rejects.toBeInstanceOf(UnauthorizedLogin);
    // Twisted would let alice in with an empty password; nobody logs in with nothing here.
    await expect(makeChecker("memory:alice:")).rejects.toThrow("with no empty U or P");
    // A user given twice: the message names the user, never a password.
    await expect(makeChecker("memory:alice:Pw1-x:alice:Pw2-y")).rejects.toThrow(/^argstring names user alice twice$/);
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

describe("strcred's errors", () => {
  it("share Twisted's base class, StrcredException", async () => {
    await expect(makeChecker("no-such-type:x")).rejects.toBeInstanceOf(InvalidAuthType);
    await expect(makeChecker("no-such-type:x")).rejects.toBeInstanceOf(StrcredException);
    await expect(makeChecker("memory:alice")).rejects.toBeInstanceOf(StrcredException);
    for (const error of [new InvalidAuthType("x"), new InvalidAuthArgumentString("x"), new UnsupportedKinds([])]) {
      expect(error).toBeInstanceOf(StrcredException);
      expect(error).toBeInstanceOf(Error);
    }
  });

  // Twisted: AuthOptionMixin.addChecker raises UnsupportedInterfaces for a checker of no supported interface.
  it("refuses a factory's checker of no credentials kinds with UnsupportedKinds, whatever its factory declared", async () => {
    for (const [authType, credentialKinds] of [
      ["no-kinds-test", []],
      ["no-list-test", undefined],
    ] as const) {
      registerCheckerFactory({
        authType,
        authHelp: "A factory whose checker checks nothing (a test).",
        argStringFormat: "none",
        credentialKinds: ["username-password"],
        generateChecker: () => ({ credentialKinds, requestAvatarId: () => "x" }) as never,
      });
      const error = await makeChecker(`${authType}:x`).catch((e: unknown) => e);
      expect(error, authType).toBeInstanceOf(UnsupportedKinds);
      expect((error as UnsupportedKinds).kinds).toEqual([]);
      expect((error as UnsupportedKinds).message).toBe("its checker checks no credentials kind");
    }
  });

  it("says which of a checker's kinds an application supports, and refuses one it supports none of (supportedKinds)", async () => {
    const checker = await makeChecker("memory:alice:pw");
    expect(supportedKinds(checker)).toEqual([...checker.credentialKinds]);
    expect(supportedKinds(checker, ["username-password", "anonymous"])).toEqual(["username-password"]);
    const error = (() => {
      try {
        return supportedKinds(checker, ["anonymous"]);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UnsupportedKinds);
    expect((error as UnsupportedKinds).kinds).toEqual(checker.credentialKinds);
  });
});

/** SCRAM credentials as the portal's challenge would carry them: the checker's server-first, the client's proof over it. */
function scramLogin(checker: ScramChecker, username: string, password: string): ScramCredentials {
  const client = scramClient(username, password, "clientnonce");
  const serverFirst = checker.answerChallengeQuery({ mechanism: "scram-sha-256", message: client.first })["challenge"] as string;
  return new ScramCredentials(username, `${client.first.slice(3)},${serverFirst}`, client.final(serverFirst));
}
