/** HashedPasswordChecker: rehash on login, dummy hashes for unknown users, and hash files that refuse bad contents. */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { rewriteInChunks } from "../../support/rewrite-in-place.ts";
import {
  argon2id,
  bcrypt,
  Decoys,
  HashGate,
  HashedPasswordChecker,
  hashFile,
  hashMap,
  htpasswdChecker,
  scrypt,
  UnauthorizedLogin,
  UsernamePassword,
  verifierFor,
  type Logger,
  type PasswordHasher,
} from "../../../actors/index.ts";
import { captureLogs } from "../../support/capture-logs.ts";
import { cheap, HTPASSWD_VECTORS } from "./checker-cases.ts";

function recordingLogger(): Logger & { entries: Array<{ level: string; message?: string }> } {
  const entries: Array<{ level: string; message?: string }> = [];
  const at = (level: string) => (_object: Record<string, unknown>, message?: string) => void entries.push({ level, message });
  const logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), child: () => logger, entries };
  return logger;
}

/** Records every hash a hasher is asked to verify. */
function spying(hasher: PasswordHasher): PasswordHasher & { verified: string[] } {
  const verified: string[] = [];
  return { ...hasher, verified, verify: (stored, password) => (verified.push(stored), hasher.verify(stored, password)) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const login = (checker: HashedPasswordChecker, username: string, password: string) =>
  checker.requestAvatarId(new UsernamePassword(username, password));

describe("HashedPasswordChecker", () => {
  it("verifies hashes of its configured hasher's algorithm through that hasher's gate", async () => {
    // A gate of one, held here, that sheds at once: only a login through this gate is refused.
    const gate = new HashGate(1, { maxWaitMs: 0 });
    const hasher = bcrypt({ cost: 4 }, { gate });
    const checker = new HashedPasswordChecker(hashMap({ alice: await cheap.bcrypt.hash("pw") }), { hasher });
    let release!: () => void;
    const held = gate.run(() => new Promise<void>((resolve) => (release = resolve)));
    await expect(checker.requestAvatarId(new UsernamePassword("alice", "pw"))).rejects.toThrow("the checker is overloaded; try again");
    release();
    await held;
    expect(await checker.requestAvatarId(new UsernamePassword("alice", "pw"))).toBe("alice");
  });

  it("calls onRehash with a fresh hash of the configured algorithm after logging in on another algorithm", async () => {
    const users = new Map<string, string>([["alice", HTPASSWD_VECTORS.alice[1]]]);
    const onRehash = vi.fn((username: string, hash: string) => void users.set(username, hash));
    const checker = new HashedPasswordChecker(users, { hasher: cheap.argon2id, onRehash });
    expect(await login(checker, "alice", "secret")).toBe("alice");
    await vi.waitFor(() => expect(onRehash).toHaveBeenCalledTimes(1));
    const [username, hash] = onRehash.mock.calls[0]!;
    expect(username).toBe("alice");
    expect(verifierFor(hash)?.algorithm).toBe("argon2id");
    expect(await login(checker, "alice", "secret")).toBe("alice");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(onRehash).toHaveBeenCalledTimes(1);
  });

  it.each([
    ["argon2id", argon2id({ memoryCost: 256, timeCost: 1 }), argon2id({ memoryCost: 512, timeCost: 1 })],
    ["scrypt", scrypt({ ln: 4 }), scrypt({ ln: 5 })],
    ["bcrypt", bcrypt({ cost: 4 }), bcrypt({ cost: 5 })],
  ] as const)("rehashes %s hashes weaker than the configured parameters", async (_name, weak, configured) => {
    const onRehash = vi.fn();
    const checker = new HashedPasswordChecker({ bob: await weak.hash("pw") }, { hasher: configured, onRehash });
    expect(await login(checker, "bob", "pw")).toBe("bob");
    await vi.waitFor(() => expect(onRehash).toHaveBeenCalledTimes(1));
    expect(configured.needsRehash(onRehash.mock.calls[0]![1])).toBe(false);
  });

  it("does not rehash a current hash, a stronger one, or after a wrong password", async () => {
    const onRehash = vi.fn();
    const checker = new HashedPasswordChecker(
      { current: await cheap.scrypt.hash("pw"), stronger: await scrypt({ ln: 6 }).hash("pw"), old: HTPASSWD_VECTORS.bob[1] },
      { hasher: cheap.scrypt, onRehash },
    );
    await login(checker, "current", "pw");
    await login(checker, "stronger", "pw");
    await expect(login(checker, "old", "wrong")).rejects.toBeInstanceOf(UnauthorizedLogin);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(onRehash).not.toHaveBeenCalled();
  });

  it("logs a failing onRehash and still logs the user in", async () => {
    const logger = recordingLogger();
    const checker = new HashedPasswordChecker(
      { bob: HTPASSWD_VECTORS.bob[1] },
      { hasher: cheap.bcrypt, logger, onRehash: () => Promise.reject(new Error("disk full")) },
    );
    expect(await login(checker, "bob", "hunter2")).toBe("bob");
    await vi.waitFor(() => expect(logger.entries).toContainEqual({ level: "error", message: "rehash on login failed" }));
  });

  it("verifies unknown users against a dummy hash of the configured algorithm when the source cannot list its hashes", async () => {
    const hasher = spying(cheap.scrypt);
    const source = { lookup: (username: string) => (username === "alice" ? HTPASSWD_VECTORS.alice[1] : undefined) };
    const checker = new HashedPasswordChecker(source, { hasher });
    await expect(login(checker, "mallory", "secret")).rejects.toBeInstanceOf(UnauthorizedLogin);
    await expect(login(checker, "eve", "secret")).rejects.toBeInstanceOf(UnauthorizedLogin);
    expect(hasher.verified).toHaveLength(2);
    expect(hasher.verified[0]).toBe(hasher.verified[1]);
    expect(verifierFor(hasher.verified[0]!)?.algorithm).toBe("scrypt");
    expect(hasher.needsRehash(hasher.verified[0]!)).toBe(false);
  });

  it("verifies unknown users against a stored hash of the store's own algorithm and cost, not the configured one", async () => {
    // A store migrated from elsewhere: scrypt lines; the configured hasher is argon2id.
    const users = new Map([
      ["alice", await cheap.scrypt.hash("a")],
      ["bob", await cheap.scrypt.hash("b")],
    ]);
    const hasher = spying(cheap.argon2id);
    const scryptVerify = vi.spyOn(verifierFor(users.get("alice")!)!, "verify");
    const bcryptVerify = vi.spyOn(verifierFor(await cheap.bcrypt.hash("x"))!, "verify");
    try {
      const checker = new HashedPasswordChecker(users, { hasher });
      // Even the decoy's own password logs nobody in under another name.
      for (const password of ["a", "b", "c"]) await expect(login(checker, "mallory", password)).rejects.toBeInstanceOf(UnauthorizedLogin);
      expect(hasher.verified).toEqual([]);
      // Three refusals, and one verification of a random password that measures the profile's cost.
      expect(scryptVerify).toHaveBeenCalledTimes(4);
      expect(scryptVerify.mock.calls.every(([stored]) => stored.startsWith("$scrypt$ln=4,"))).toBe(true);
      // The store changes (everyone rehashed to bcrypt): the decoys follow.
      users.set("alice", await cheap.bcrypt.hash("a"));
      users.set("bob", await cheap.bcrypt.hash("b"));
      users.set("dave", await cheap.bcrypt.hash("d"));
      await expect(login(checker, "mallory", "a")).rejects.toBeInstanceOf(UnauthorizedLogin);
      expect(bcryptVerify.mock.calls.at(-1)![0]).toMatch(/^\$2b\$04\$/);
      expect(scryptVerify).toHaveBeenCalledTimes(4);
    } finally {
      scryptVerify.mockRestore();
      bcryptVerify.mockRestore();
    }
  });

  it("holds a refusal for a user with a cheap hash until the store's dearest hash would have been verified", async () => {
    const dear = scrypt({ ln: 14 });
    const users = new Map([
      ["cheap", await cheap.bcrypt.hash("right")],
      ["dear1", await dear.hash("x")],
      ["dear2", await dear.hash("y")],
    ]);
    const checker = new HashedPasswordChecker(users, { hasher: cheap.argon2id });
    const time = async (username: string, password: string) => {
      const started = performance.now();
      await login(checker, username, password).catch(() => undefined);
      return performance.now() - started;
    };
    const dearMs = Math.min(await time("dear1", "wrong"), await time("dear2", "wrong"), await time("dear1", "wrong"));
    // A busy machine only ever adds time, so "at least" holds under any load.
    for (let i = 0; i < 3; i++) expect(await time("cheap", "wrong")).toBeGreaterThan(dearMs * 0.4);
    expect(await login(checker, "cheap", "right")).toBe("cheap");
  });

  it("spreads unknown names over the store's algorithms and costs as its users are spread, the same name always alike", () => {
    const bcrypt12 = "$2b$12$abcdefghijklmnopqrstuu5555555555555555555555555555555";
    const bcrypt10 = "$2b$10$abcdefghijklmnopqrstuu5555555555555555555555555555555";
    const store = new Map([
      ["a", bcrypt12],
      ["b", bcrypt10],
      ["c", bcrypt10.replace("abc", "bbc")],
      ["d", bcrypt10.replace("abc", "cbc")],
      ["e", "plaintext"],
    ]);
    const decoys = Decoys.of(store);
    const again = Decoys.of(new Map(store)); // another portal process reading the same store
    const picks = Array.from({ length: 4000 }, (_, i) => decoys.pick(`nobody${i}`)!);
    expect(picks.every((p, i) => p === again.pick(`nobody${i}`) && p === decoys.pick(`nobody${i}`))).toBe(true);
    const cost10 = picks.filter((p) => p.startsWith("$2b$10$")).length / picks.length;
    expect(cost10).toBeGreaterThan(0.7); // three users in four have cost 10
    expect(cost10).toBeLessThan(0.8);
    expect(picks.every((p) => p === bcrypt12 || p.startsWith("$2b$10$"))).toBe(true);
    expect(Decoys.of(new Map([["x", "plaintext"]])).pick("nobody")).toBeUndefined();
  });

  it("refuses, logs and pays the dummy cost for a user whose stored hash is unrecognisable", async () => {
    const hasher = spying(cheap.bcrypt);
    const logger = recordingLogger();
    const checker = new HashedPasswordChecker(new Map([["dave", "plaintext"]]), { hasher, logger });
    await expect(login(checker, "dave", "plaintext")).rejects.toBeInstanceOf(UnauthorizedLogin);
    expect(hasher.verified).toHaveLength(1);
    expect(logger.entries.some((e) => e.level === "error")).toBe(true);
  });

  it("does the same work, in the same order, through the same verifier, for an unknown user as for a wrong password", async () => {
    // Timing alone cannot show it in a test, but which thread-pool thread runs an argon2id verify
    // depends on the pool work queued before it (~2 ms here), and an outside probe told unknown
    // users from wrong passwords by ~1.5 ms through `serve` when only the unknown user's path
    // listed the store before verifying, and verified through another verifier than the hasher.
    const steps: string[] = [];
    const users = new Map([
      ["alice", await cheap.argon2id.hash("secret")],
      ["bob", await cheap.argon2id.hash("other")],
    ]);
    const source = {
      lookup: async (username: string) => (steps.push("lookup"), users.get(username)),
      all: async () => (steps.push("list"), users),
    };
    const hasher: PasswordHasher = { ...cheap.argon2id, verify: (stored, password) => (steps.push("verify by the hasher"), cheap.argon2id.verify(stored, password)) };
    const checker = new HashedPasswordChecker(source, { hasher });
    await expect(login(checker, "nobody", "x")).rejects.toBeInstanceOf(UnauthorizedLogin); // measures the profile once
    const stepsOf = async (username: string) => {
      steps.length = 0;
      await expect(login(checker, username, "wrong")).rejects.toBeInstanceOf(UnauthorizedLogin);
      return [...steps];
    };
    const wrongPassword = await stepsOf("alice");
    expect(wrongPassword).toEqual(["lookup", "list", "verify by the hasher"]);
    expect(await stepsOf("mallory")).toEqual(wrongPassword);
  });

  it("takes about as long for an unknown user as for a wrong password", async () => {
    const hasher = scrypt({ ln: 12 });
    const checker = new HashedPasswordChecker({ alice: await hasher.hash("secret") }, { hasher });
    await expect(login(checker, "nobody", "x")).rejects.toThrow(); // makes the dummy hash
    const time = async (username: string) => {
      const started = performance.now();
      await login(checker, username, "wrong").catch(() => undefined);
      return performance.now() - started;
    };
    const samples = { known: [] as number[], unknown: [] as number[] };
    for (let i = 0; i < 7; i++) {
      samples.known.push(await time("alice"));
      samples.unknown.push(await time("nobody"));
    }
    // The fastest of several runs: other work on a busy machine only ever adds time.
    const ratio = Math.min(...samples.unknown) / Math.min(...samples.known);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });

  describe("over a file", () => {
    let dir: string;
    let path: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), "portcullis-hashed-"));
      path = join(dir, "hashes");
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("refuses every login and logs an error while the file has an unrecognised hash", async () => {
      writeFileSync(path, `alice:${HTPASSWD_VECTORS.alice[1]}\nbob:not-a-hash\n`);
      const logger = recordingLogger();
      const checker = new HashedPasswordChecker(hashFile(path, { logger }), { hasher: cheap.bcrypt });
      await expect(login(checker, "alice", "secret")).rejects.toBeInstanceOf(UnauthorizedLogin);
      expect(logger.entries.some((e) => e.level === "error")).toBe(true);
    });

    it("logs a plaintext (Twisted `file`) password file with its path and line number, never the line", async () => {
      writeFileSync(path, `alice:${HTPASSWD_VECTORS.alice[1]}\nbob:Hunter2-plain\n`);
      const logs = captureLogs();
      const checker = new HashedPasswordChecker(hashFile(path, { logger: logs.logger }), { hasher: cheap.bcrypt, logger: logs.logger });
      await checker.load(); // as the hashed auth type does at start-up
      await expect(login(checker, "alice", "secret")).rejects.toBeInstanceOf(UnauthorizedLogin);
      const errors = logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((e) => e["level"] === 50); // pino: error
      // Once for the cause: the login after the load adds no line (each did, under load a flood).
      expect(errors).toHaveLength(1);
      for (const error of errors) {
        expect(error).toMatchObject({ passwordFile: path, line: 2 });
        expect(String(error["err"])).toContain("plaintext");
      }
      expect(logs.lines.join("\n")).not.toMatch(/Hunter2-plain|bob|apr1/);
    });

    it("logs a bad file through the checker's logger when the file source was made without one", async () => {
      // An outside newcomer's `new HashedPasswordChecker(hashFile(path), { logger })` refused every login without a word.
      writeFileSync(path, "bob:Hunter2-plain\n");
      const logs = captureLogs();
      const checker = new HashedPasswordChecker(hashFile(path), { hasher: cheap.bcrypt, logger: logs.logger });
      await checker.load();
      const errors = logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((e) => e["level"] === 50);
      expect(errors).toEqual([expect.objectContaining({ passwordFile: path, line: 1, msg: "unable to load the password file; refusing every login" })]);
      expect(logs.lines.join("\n")).not.toContain("Hunter2-plain");
    });

    it("says a hash of a known algorithm beyond the cost limits is beyond them, not that it is plaintext", async () => {
      // An outside probe: a `$2b$31$` line was reported as "plaintext passwords belong to the file auth type".
      // Carol's cost-4 bcrypt hash, its cost raised to 31 (about 11 hours a verify): well-formed otherwise.
      writeFileSync(path, `alice:${HTPASSWD_VECTORS.alice[1]}\ncarol:${HTPASSWD_VECTORS.carol[1].replace("$04$", "$31$")}\n`);
      const logs = captureLogs();
      const checker = new HashedPasswordChecker(hashFile(path, { logger: logs.logger }), { hasher: cheap.bcrypt, logger: logs.logger });
      await checker.load();
      const errors = logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((e) => e["level"] === 50);
      expect(errors).toEqual([expect.objectContaining({ passwordFile: path, line: 2 })]);
      expect(String(errors[0]!["err"])).toContain("beyond the limits: argon2id 1 GiB, scrypt 1 GiB, bcrypt cost 16");
      expect(String(errors[0]!["err"])).not.toContain("plaintext");
    });

    it("keeps its previous users when a rewrite is malformed or cut short, and takes the next good one", async () => {
      const good = `alice:${HTPASSWD_VECTORS.alice[1]}\ncarol:${HTPASSWD_VECTORS.carol[1]}\n`;
      writeFileSync(path, good);
      const checker = new HashedPasswordChecker(hashFile(path, { settleMs: 20, unterminatedSettleMs: 20 }), { hasher: cheap.bcrypt });
      expect(await login(checker, "carol", "pässwörd")).toBe("carol");
      writeFileSync(path, good.slice(0, -20)); // a bcrypt hash cut short
      await sleep(60);
      expect(await login(checker, "carol", "pässwörd")).toBe("carol");
      writeFileSync(path, `bob:${HTPASSWD_VECTORS.bob[1]}\n`);
      await sleep(60);
      expect(await login(checker, "bob", "hunter2")).toBe("bob");
      await expect(login(checker, "carol", "pässwörd")).rejects.toBeInstanceOf(UnauthorizedLogin);
    });

    describe("rewritten in place, in pieces", () => {
      // {SHA} lines: cheap to verify, so the load below is mostly lookups.
      const TWENTY = Array.from({ length: 20 }, (_, i) => [`user${i}`, `pass${i}`] as const);
      const sha = (password: string) => `{SHA}${createHash("sha1").update(password).digest("base64")}`;
      const twenty = TWENTY.map(([u, p]) => `${u}:${sha(p)}\n`).join("");
      beforeEach(() => writeFileSync(path, twenty));

      it.each([
        ["hashFile", () => new HashedPasswordChecker(hashFile(path, { settleMs: 300 }), { hasher: cheap.bcrypt })],
        ["htpasswdChecker", () => htpasswdChecker(path, { hasher: cheap.bcrypt, settleMs: 300 })],
      ])("%s is not read half-way: users in the unwritten half stay valid until the writer has paused for the settle period", async (_name, make) => {
        const checker = make();
        expect(await login(checker, "user15", "pass15")).toBe("user15");
        const handle = await open(path, "r+");
        try {
          await handle.truncate(0);
          const half = twenty.slice(0, twenty.indexOf("user10"));
          await handle.write(half, 0);
          for (const [u, p] of TWENTY) expect(await login(checker, u, p)).toBe(u);
          await handle.write(twenty.slice(half.length).replace(sha("pass19"), sha("new19")), half.length);
        } finally {
          await handle.close();
        }
        await sleep(450);
        expect(await login(checker, "user19", "new19")).toBe("user19");
        await expect(login(checker, "user19", "pass19")).rejects.toBeInstanceOf(UnauthorizedLogin);
      });

      it("refuses no login while it is written back in 50-byte chunks under load", async () => {
        const checker = htpasswdChecker(path, { hasher: cheap.bcrypt, settleMs: 40 });
        await checker.load();
        const refused: string[] = [];
        let writing = true;
        const load = (async () => {
          for (let i = 0; writing; i++) {
            const [u, p] = TWENTY[i % 20]!;
            await login(checker, u, p).catch(() => refused.push(u));
          }
        })();
        for (let rewrite = 0; rewrite < 3; rewrite++) {
          await rewriteInChunks(path, twenty);
          await sleep(100);
        }
        writing = false;
        await load;
        expect(refused).toEqual([]);
      });
    });

    it("reads an htpasswd file and migrates it to bcrypt by default", async () => {
      writeFileSync(path, Object.entries(HTPASSWD_VECTORS).map(([u, [, h]]) => `${u}:${h}\n`).join(""));
      const onRehash = vi.fn();
      const checker = htpasswdChecker(path, { onRehash });
      expect(checker.hasher.algorithm).toBe("bcrypt");
      expect(await login(checker, "bob", "hunter2")).toBe("bob");
      // bcrypt at its default cost (12) takes over a second on two loaded cores: waitFor's own 1 s failed a full run.
      await vi.waitFor(() => expect(onRehash).toHaveBeenCalledTimes(1), { timeout: 15_000 });
      expect(onRehash.mock.calls[0]![1]).toMatch(/^\$2b\$12\$/);
    });
  });
});
