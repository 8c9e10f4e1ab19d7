/** FilePasswordDB: Twisted's tested behaviours, and reloading without a window of refusals. */
import { mkdtempSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rewriteInChunks } from "../../support/rewrite-in-place.ts";
import {
  CramMD5Credentials,
  cramMD5Response,
  ECHO_INTERFACE,
  FilePasswordDB,
  LoginFailed,
  PBMD5Credentials,
  pbMD5Response,
  Portal,
  SimplePerspective,
  SimpleRealm,
  UnauthorizedLogin,
  UnhandledCredentials,
  UsernameHashedPassword,
  UsernamePassword,
  type Logger,
} from "../../../actors/index.ts";

function recordingLogger(): Logger & { entries: Array<{ level: string; object: Record<string, unknown>; message?: string }> } {
  const entries: Array<{ level: string; object: Record<string, unknown>; message?: string }> = [];
  const at = (level: string) => (object: Record<string, unknown>, message?: string) => void entries.push({ level, object, message });
  const logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), child: () => logger, entries };
  return logger;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The settle period the reloading tests use, and a wait comfortably past it. */
const SETTLE_MS = 40;
const settled = () => sleep(SETTLE_MS * 2 + 20);

const USERS = [
  ["user1", "pass1"],
  ["user2", "pass2"],
  ["user3", "pass3"],
] as const;

describe("FilePasswordDB", () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "portcullis-file-db-"));
    path = join(dir, "passwd");
    writeFileSync(path, USERS.map(([u, p]) => `${u}:${p}\n`).join(""));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const login = (db: FilePasswordDB, username: string, password: string) => Promise.resolve(db.requestAvatarId(new UsernamePassword(username, password)));

  it("refuses every login with UnauthorizedLogin and logs an error when the file does not exist, once for the cause, not once per login", async () => {
    const logger = recordingLogger();
    const db = new FilePasswordDB(join(dir, "test_thisbetternoteverexist.db"), { logger });
    for (let i = 0; i < 5; i++) await expect(login(db, "user1", "pass1")).rejects.toBeInstanceOf(UnauthorizedLogin);
    expect(logger.entries.filter((e) => e.level === "error")).toHaveLength(1);
    expect(JSON.stringify(logger.entries[0])).toContain("ENOENT");
  });

  it("looks names up case-sensitively by default", async () => {
    const db = new FilePasswordDB(path);
    for (const [u, p] of USERS) {
      await expect(login(db, u.toUpperCase(), p)).rejects.toBeInstanceOf(UnauthorizedLogin);
      expect(await login(db, u, p)).toBe(u);
    }
  });

  it("returns the lower-cased name when case-insensitive", async () => {
    writeFileSync(path, "Alice:pw\nBOB:pw2\n");
    const db = new FilePasswordDB(path, { caseSensitive: false });
    expect(await login(db, "ALICE", "pw")).toBe("alice");
    expect(await login(db, "bob", "pw2")).toBe("bob");
  });

  it("checks client-hashed credentials against a plaintext file", async () => {
    const db = new FilePasswordDB(path);
    expect(await db.requestAvatarId(new UsernameHashedPassword("user2", "pass2"))).toBe("user2");
  });

  it("passes username, password and the stored value to the hash function and compares its result", async () => {
    writeFileSync(path, "user1:SA$pass1\n");
    const calls: string[][] = [];
    const db = new FilePasswordDB(path, {
      hash: (u, p, stored) => (calls.push([u, p, stored]), `${stored.slice(0, 3)}${p}`),
    });
    expect(db.credentialKinds).toEqual(["username-password"]);
    expect(await login(db, "user1", "pass1")).toBe("user1");
    expect(calls).toEqual([["user1", "pass1", "SA$pass1"]]);
    await expect(db.requestAvatarId(new UsernameHashedPassword("user1", "SA$pass1"))).rejects.toBeInstanceOf(UnauthorizedLogin);
  });

  it("runs the hash function for unknown users too, so they cost what a wrong password costs", async () => {
    let calls = 0;
    const db = new FilePasswordDB(path, { hash: (_u, p) => (calls++, p) });
    await expect(login(db, "nobody", "pass1")).rejects.toBeInstanceOf(UnauthorizedLogin);
    expect(calls).toBe(1);
  });

  it("fails with LoginFailed, not a refusal, when the hash function throws, and logs it by class, never its message", async () => {
    const logger = recordingLogger();
    const db = new FilePasswordDB(path, {
      logger,
      hash: (_u, password) => {
        throw new RangeError(`cannot hash ${password}`);
      },
    });
    const error = await login(db, "user1", "pass1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoginFailed);
    expect(error).not.toBeInstanceOf(UnauthorizedLogin);
    // An outside newcomer's failing hash function left no line at all.
    expect(logger.entries).toContainEqual(expect.objectContaining({ level: "error", object: { error: "RangeError" }, message: "the password file's hash function failed" }));
    expect(JSON.stringify(logger.entries)).not.toContain("pass1");
  });

  // Twisted's CredTests.test_derivedInterface: FilePasswordDB duck-types credentials too.
  it("checks a user object of a derived kind by its checkPassword, and with hash by its password", async () => {
    const derived = (username: string, password: string) => ({
      username,
      password,
      kinds: ["derived", "username-password"],
      checkPassword: (stored: string) => stored === password,
      toWire: () => ({ kind: "username-password", username, password }),
      toJSON: () => ({ kind: "derived", username }),
    });
    const plain = new FilePasswordDB(path);
    expect(await plain.requestAvatarId(derived("user1", "pass1"))).toBe("user1");
    await expect(plain.requestAvatarId(derived("user1", "pass2"))).rejects.toBeInstanceOf(UnauthorizedLogin);
    const hashed = new FilePasswordDB(path, { hash: (_u, p) => p });
    expect(await hashed.requestAvatarId(derived("user2", "pass2"))).toBe("user2");
    // Through a Portal, as Twisted's test does.
    const portal = new Portal(new SimpleRealm(), [plain]);
    const login = await portal.login(derived("user3", "pass3"), null, ECHO_INTERFACE);
    expect((login.avatar as SimplePerspective).avatarId).toBe("user3");
    await login.logout();
  });

  it("asks checkPassword for an unknown user too, and takes only true as a match", async () => {
    const db = new FilePasswordDB(path);
    const asked: string[] = [];
    const answering = (username: string, answer: unknown) => ({
      username,
      kinds: ["username-password"],
      checkPassword: (stored: string) => (asked.push(stored), answer),
      toWire: () => ({ kind: "username-password" }),
      toJSON: () => ({}),
    });
    await expect(db.requestAvatarId(answering("nobody", true))).rejects.toBeInstanceOf(UnauthorizedLogin);
    expect(asked).toHaveLength(1);
    expect(USERS.map(([, p]) => p)).not.toContain(asked[0]);
    for (const truthy of ["yes", 1, Promise.resolve("yes")]) {
      await expect(db.requestAvatarId(answering("user1", truthy))).rejects.toBeInstanceOf(UnauthorizedLogin);
    }
    expect(await db.requestAvatarId(answering("user1", Promise.resolve(true)))).toBe("user1");
  });

  // Twisted's CramMD5Credentials and PB's challenger are IUsernameHashedPassword: a plaintext file checks them.
  it("checks cram-md5 and pb-md5 answers against a plaintext file registered for their kinds", async () => {
    const portal = new Portal(new SimpleRealm());
    portal.registerChecker(new FilePasswordDB(path), "cram-md5", "pb-md5");
    const pbChallenge = "00112233445566778899aabbccddeeff";
    for (const good of [
      new CramMD5Credentials("user1", "<1.2@h>", cramMD5Response("pass1", "<1.2@h>")),
      new PBMD5Credentials("user2", pbChallenge, pbMD5Response("pass2", pbChallenge)),
    ]) {
      const login = await portal.login(good, null, ECHO_INTERFACE);
      await login.logout();
    }
    for (const bad of [
      new CramMD5Credentials("user1", "<1.2@h>", cramMD5Response("pass2", "<1.2@h>")),
      new PBMD5Credentials("nobody", pbChallenge, pbMD5Response("pass2", pbChallenge)),
    ]) {
      await expect(portal.login(bad, null, ECHO_INTERFACE)).rejects.toThrow(new UnauthorizedLogin());
    }
    // And as username-hashed-password, its default registration.
    const cram = new CramMD5Credentials("user3", "<1.2@h>", cramMD5Response("pass3", "<1.2@h>"));
    expect(await new Portal(new SimpleRealm(), [new FilePasswordDB(path)]).login(cram, null, ECHO_INTERFACE)).toMatchObject({ interface: ECHO_INTERFACE });
  });

  it("never checks cram-md5 answers, client-side hashes or other non-plaintext credentials with hash, nor lists their kinds", async () => {
    const db = new FilePasswordDB(path, { hash: (_u, p) => p });
    expect(db.credentialKinds).toEqual(["username-password"]);
    await expect(db.requestAvatarId(new CramMD5Credentials("user1", "<1.2@h>", cramMD5Response("pass1", "<1.2@h>")))).rejects.toBeInstanceOf(UnauthorizedLogin);
    // A `password` field on credentials that do not say they are username-password is not taken for a plaintext password.
    const hashedShape = { username: "user1", password: "pass1", kinds: ["username-hashed-password"], checkPassword: () => true, toWire: () => ({ kind: "x" }), toJSON: () => ({}) };
    await expect(db.requestAvatarId(hashedShape)).rejects.toBeInstanceOf(UnauthorizedLogin);
    const portal = new Portal(new SimpleRealm(), [db]);
    await expect(portal.login(new CramMD5Credentials("user1", "<1.2@h>", cramMD5Response("pass1", "<1.2@h>")), null, ECHO_INTERFACE)).rejects.toBeInstanceOf(
      UnhandledCredentials,
    );
  });

  it("skips lines with too few fields and strips trailing whitespace, as Twisted", async () => {
    writeFileSync(path, "lonely\n\nuser1:pass1   \r\n:\n");
    const db = new FilePasswordDB(path);
    expect(await login(db, "user1", "pass1")).toBe("user1");
    await expect(login(db, "lonely", "")).rejects.toBeInstanceOf(UnauthorizedLogin);
  });

  /** Runs `check` on the file at `path` read with `cache: false`, then `cache: true`, each with its own logger. */
  async function withAndWithoutCache(check: (db: FilePasswordDB, logger: ReturnType<typeof recordingLogger>) => Promise<void>): Promise<void> {
    for (const cache of [false, true]) {
      const logger = recordingLogger();
      await check(new FilePasswordDB(path, { cache, logger }), logger);
    }
  }

  it("keeps the first entry of a user listed twice, and warns", async () => {
    writeFileSync(path, "user1:first\nuser1:second\n");
    await withAndWithoutCache(async (db, logger) => {
      expect(await login(db, "user1", "first")).toBe("user1");
      await expect(login(db, "user1", "second")).rejects.toBeInstanceOf(UnauthorizedLogin);
      expect(logger.entries.some((e) => e.level === "warn" && e.object["line"] === 2)).toBe(true);
    });
  });

  it("refuses a user whose stored password is empty, with every kind and with hash, and warns by line number", async () => {
    writeFileSync(path, "user1:pass1\nblank:\n");
    const logger = recordingLogger();
    const db = new FilePasswordDB(path, { logger });
    expect(await login(db, "user1", "pass1")).toBe("user1");
    await expect(login(db, "blank", "")).rejects.toBeInstanceOf(UnauthorizedLogin);
    await expect(db.requestAvatarId(new UsernameHashedPassword("blank", ""))).rejects.toBeInstanceOf(UnauthorizedLogin);
    const against: string[] = [];
    const hashed = new FilePasswordDB(path, { hash: (_u, p, stored) => (against.push(stored), p) });
    await expect(login(hashed, "blank", "")).rejects.toBeInstanceOf(UnauthorizedLogin);
    expect(against).toEqual(["pass1"]); // hashed against another entry, as an unknown user is, never ""
    const warnings = logger.entries.filter((e) => e.level === "warn");
    // Once per version of the file, though it is read again at every lookup (no cache).
    expect(warnings).toEqual([expect.objectContaining({ object: { line: 2 }, message: expect.stringContaining("empty password") })]);
  });

  it("skips a line with an empty username (nobody logs in as \"\") and warns by line number", async () => {
    writeFileSync(path, "user1:pass1\n:EmptyUserSecret\n");
    const logger = recordingLogger();
    const db = new FilePasswordDB(path, { logger });
    await expect(login(db, "", "EmptyUserSecret")).rejects.toBeInstanceOf(UnauthorizedLogin);
    expect(await login(db, "user1", "pass1")).toBe("user1");
    expect(logger.entries.filter((e) => e.level === "warn")).toEqual([
      expect.objectContaining({ object: { line: 2 }, message: expect.stringContaining("empty username") }),
    ]);
    expect(JSON.stringify(logger.entries)).not.toContain("EmptyUserSecret");
  });

  it("parses a line with extra fields as Twisted (`a:b:c` stores `b`) and warns by line number, never quoting it", async () => {
    writeFileSync(path, "user1:pass1\nmallory:Pq7:Zr9:Wv5\n");
    await withAndWithoutCache(async (db, logger) => {
      expect(await login(db, "mallory", "Pq7")).toBe("mallory");
      await expect(login(db, "mallory", "Pq7:Zr9:Wv5")).rejects.toBeInstanceOf(UnauthorizedLogin);
      const warnings = logger.entries.filter((e) => e.level === "warn");
      expect(warnings).toEqual([expect.objectContaining({ object: { line: 2 }, message: expect.stringContaining("more fields than expected") })]);
      expect(JSON.stringify(logger.entries)).not.toMatch(/mallory|Pq7|Zr9|Wv5/);
    });
  });

  it("warns about a line again only when the file changes", async () => {
    writeFileSync(path, "blank:\n");
    const logger = recordingLogger();
    const db = new FilePasswordDB(path, { logger, settleMs: SETTLE_MS });
    await db.load();
    await db.load();
    expect(logger.entries.filter((e) => e.level === "warn")).toHaveLength(1);
    writeFileSync(path, "user1:pass1\nblank:\n");
    await settled();
    await db.load();
    expect(logger.entries.filter((e) => e.level === "warn").map((e) => e.object["line"])).toEqual([1, 2]);
  });

  describe.each([false, true])("reloading (cache %s)", (cache) => {
    it("sees a file rewritten in place once it has settled, without a restart", async () => {
      const db = new FilePasswordDB(path, { cache, settleMs: SETTLE_MS });
      expect(await login(db, "user1", "pass1")).toBe("user1");
      writeFileSync(path, "user1:changed\nuser4:pass4\n");
      await settled();
      expect(await login(db, "user4", "pass4")).toBe("user4");
      await expect(login(db, "user1", "pass1")).rejects.toBeInstanceOf(UnauthorizedLogin);
      expect(await login(db, "user1", "changed")).toBe("user1");
    });

    it("reads a file again that its first read caught mid-rewrite (empty, or changed while read), and refuses no valid user", async () => {
      // An outside probe: first lookups made while the file was rewritten in place refused a valid user in 29 of 30 trials.
      const contents = USERS.map(([u, p]) => `${u}:${p}\n`).join("");
      const logger = recordingLogger();
      const db = new FilePasswordDB(path, { cache, settleMs: SETTLE_MS, logger });
      writeFileSync(path, "");
      const first = login(db, "user3", "pass3");
      await sleep(15);
      writeFileSync(path, contents);
      expect(await first).toBe("user3");
      expect(logger.entries.filter((e) => e.level === "error")).toEqual([]);
    });

    it("waits, at its first read, for a file being rewritten in place in pieces to settle, and refuses none of its users", async () => {
      // An outside probe: a first read part-way through took a well-formed first half for the whole file (30 of 30 trials).
      const many = Array.from({ length: 40 }, (_, i) => `user${i}:pw${i}\n`).join("");
      writeFileSync(path, many);
      await settled();
      const db = new FilePasswordDB(path, { cache, settleMs: SETTLE_MS });
      const rewriting = rewriteInChunks(path, many, 60, 8);
      await sleep(20);
      expect(await login(db, "user39", "pw39")).toBe("user39");
      await rewriting;
    });

    it("refuses at once, with an error, a first read of an empty file that has settled", async () => {
      writeFileSync(path, "");
      await settled();
      const logger = recordingLogger();
      const db = new FilePasswordDB(path, { cache, settleMs: SETTLE_MS, logger });
      const started = performance.now();
      await expect(login(db, "user1", "pass1")).rejects.toBeInstanceOf(UnauthorizedLogin);
      // Not held for unterminatedSettleMs (5 s): nothing is being written.
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(logger.entries.filter((e) => e.level === "error")).toHaveLength(1);
    });

    it("sees a file replaced by rename at once, whatever the settle period", async () => {
      const db = new FilePasswordDB(path, { cache, settleMs: 60_000 });
      expect(await login(db, "user1", "pass1")).toBe("user1");
      writeFileSync(join(dir, "new"), "user5:pass5\n");
      renameSync(join(dir, "new"), path);
      expect(await login(db, "user5", "pass5")).toBe("user5");
    });

    it("sees a second rename in a row at once, even when the new file has the inode number last read", async (context) => {
      const db = new FilePasswordDB(path, { cache, settleMs: 60_000 });
      let reused = 0;
      for (let round = 0; round < 20 && reused < 3; round++) {
        expect(await login(db, "user1", "pass1").catch(() => login(db, `u${round - 1}`, "p"))).toBeTruthy();
        const read = statSync(path).ino;
        // Two renames with no lookup between: ext4 gives a freed inode number to the next new file.
        writeFileSync(join(dir, "a"), "other:x\n");
        renameSync(join(dir, "a"), path);
        writeFileSync(join(dir, "b"), `u${round}:p\n`);
        renameSync(join(dir, "b"), path);
        if (statSync(path).ino !== read) continue;
        reused++;
        expect(await login(db, `u${round}`, "p")).toBe(`u${round}`);
      }
      // A file system that never reuses inode numbers this way cannot show the case.
      if (reused === 0) context.skip();
    });

    it("keeps the previous users while the file is missing, empty or not UTF-8", async () => {
      const logger = recordingLogger();
      const db = new FilePasswordDB(path, { cache, logger, settleMs: SETTLE_MS });
      expect(await login(db, "user2", "pass2")).toBe("user2");
      unlinkSync(path);
      expect(await login(db, "user2", "pass2")).toBe("user2");
      writeFileSync(path, "");
      expect(await login(db, "user2", "pass2")).toBe("user2");
      await settled();
      expect(await login(db, "user2", "pass2")).toBe("user2");
      writeFileSync(path, Buffer.from([0x75, 0x3a, 0xff, 0xfe, 0x0a]));
      await settled();
      expect(await login(db, "user2", "pass2")).toBe("user2");
      expect(logger.entries.filter((e) => e.level === "warn").length).toBeGreaterThanOrEqual(3);
      expect(logger.entries.filter((e) => e.level === "error")).toEqual([]);
      writeFileSync(path, "user2:new\n");
      await settled();
      expect(await login(db, "user2", "new")).toBe("user2");
    });

    it("revokes everyone when the file is rewritten as a single newline", async () => {
      const db = new FilePasswordDB(path, { cache, settleMs: SETTLE_MS });
      expect(await login(db, "user1", "pass1")).toBe("user1");
      writeFileSync(path, "\n");
      await settled();
      for (const [u, p] of USERS) await expect(login(db, u, p)).rejects.toBeInstanceOf(UnauthorizedLogin);
    });

    it("never refuses a valid user while the file is rewritten over and over", async () => {
      const db = new FilePasswordDB(path, { cache });
      // Read once before the rewrites start: a first read waits for a file that never settles.
      await db.load();
      const contents = USERS.map(([u, p]) => `${u}:${p}\n`).join("");
      let writing = true;
      const writer = (async () => {
        for (let i = 0; writing; i++) {
          // Alternate in-place rewrites (truncate, then write) with atomic renames.
          if (i % 2) writeFileSync(path, contents + `extra${i}:x\n`);
          else {
            writeFileSync(join(dir, "tmp"), contents);
            renameSync(join(dir, "tmp"), path);
          }
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      const results = await Promise.all(Array.from({ length: 300 }, (_, i) => login(db, USERS[i % 3]![0], USERS[i % 3]![1])));
      writing = false;
      await writer;
      expect(new Set(results)).toEqual(new Set(["user1", "user2", "user3"]));
    });

    describe("a file rewritten in place, in pieces", () => {
      const TWENTY = Array.from({ length: 20 }, (_, i) => [`user${i}`, `pass${i}`] as const);
      const twenty = TWENTY.map(([u, p]) => `${u}:${p}\n`).join("");
      beforeEach(() => writeFileSync(path, twenty));

      it("is not read half-way: users in the unwritten half stay valid until the writer has paused for the settle period", async () => {
        const db = new FilePasswordDB(path, { cache, settleMs: 300 });
        expect(await login(db, "user15", "pass15")).toBe("user15");
        const handle = await open(path, "r+");
        try {
          await handle.truncate(0);
          await handle.write(TWENTY.slice(0, 10).map(([u, p]) => `${u}:${p}\n`).join(""), 0);
          // The tester's case: the first 10 lines are written, 10–19 are not yet.
          for (const [u, p] of TWENTY) expect(await login(db, u, p)).toBe(u);
          await handle.write(TWENTY.slice(10).map(([u, p]) => `${u}:${p}\n`).join("").replace("pass19", "new19"), Buffer.byteLength(twenty.slice(0, twenty.indexOf("user10"))));
        } finally {
          await handle.close();
        }
        await sleep(450);
        expect(await login(db, "user19", "new19")).toBe("user19");
        await expect(login(db, "user19", "pass19")).rejects.toBeInstanceOf(UnauthorizedLogin);
      });

      it("refuses no login while it is written back in 50-byte chunks under load", async () => {
        const db = new FilePasswordDB(path, { cache, settleMs: SETTLE_MS });
        await db.load();
        const refused: string[] = [];
        let writing = true;
        const load = (async () => {
          for (let i = 0; writing; i++) {
            const [u, p] = TWENTY[i % 20]!;
            await login(db, u, p).catch(() => refused.push(u));
          }
        })();
        for (let rewrite = 0; rewrite < 3; rewrite++) {
          await rewriteInChunks(path, twenty);
          await settled();
        }
        writing = false;
        await load;
        expect(refused).toEqual([]);
      });

      it("takes a last line without its newline for a write stopped mid-line, and reads it once it has been left alone for unterminatedSettleMs", async () => {
        const db = new FilePasswordDB(path, { cache, settleMs: SETTLE_MS, unterminatedSettleMs: 600 });
        expect(await login(db, "user15", "pass15")).toBe("user15");
        // Stopped mid-line, for longer than the settle period.
        writeFileSync(path, twenty.slice(0, twenty.indexOf("user10") + 4));
        await settled();
        expect(await login(db, "user15", "pass15")).toBe("user15");
        await sleep(700);
        await expect(login(db, "user15", "pass15")).rejects.toBeInstanceOf(UnauthorizedLogin);
        expect(await login(db, "user9", "pass9")).toBe("user9");
      });
    });
  });

  it("names the error code of a reload failure once", async () => {
    const logger = recordingLogger();
    const db = new FilePasswordDB(path, { logger });
    await db.load();
    unlinkSync(path);
    await db.load();
    const [warning] = logger.entries.filter((e) => e.level === "warn");
    expect(warning?.object["err"]).toMatch(/^ENOENT: no such file or directory/);
    expect(String(warning?.object["err"])).not.toMatch(/ENOENT: ENOENT/);
  });
});
