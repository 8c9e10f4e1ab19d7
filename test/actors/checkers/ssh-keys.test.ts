/**
 * SSHPublicKeyDatabase's files: parsed once per version, a removed key refused at the next check,
 * and the same file work for a known and an unknown user (no timing that tells them apart).
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { newKeyPair } from "../../support/key-pairs.ts";

const fsCalls = vi.hoisted(() => ({ stat: [] as string[], readFile: [] as string[] }));
vi.mock("node:fs/promises", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs/promises")>();
  return {
    ...fs,
    stat: (path: string, ...rest: unknown[]) => (fsCalls.stat.push(path), (fs.stat as (...a: unknown[]) => unknown)(path, ...rest)),
    readFile: (path: string, ...rest: unknown[]) => (fsCalls.readFile.push(path), (fs.readFile as (...a: unknown[]) => unknown)(path, ...rest)),
  };
});

const { sshKeySigner } = await import("../../../actors/client/challenge-answers.ts");
const { SSHPublicKeyDatabase } = await import("../../../actors/checkers/ssh-keys.ts");
const { SSHKeyCredentials } = await import("../../../actors/challenges/ssh-key.ts");
const { UnauthorizedLogin } = await import("../../../actors/errors.ts");

const dir = mkdtempSync(join(tmpdir(), "portcullis-sshkeys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  fsCalls.stat.length = 0;
  fsCalls.readFile.length = 0;
});

const alice = sshKeySigner(newKeyPair("ed25519").privateKey);
const second = sshKeySigner(newKeyPair("ed25519").privateKey);
const CHALLENGE = Buffer.alloc(32, 7).toString("base64");
const answer = (username: string, signer = alice) => new SSHKeyCredentials(username, CHALLENGE, "ssh-ed25519", signer.publicKey, signer.sign(CHALLENGE));

function keysFile(name: string, ...signers: Array<{ publicKey: string }>): string {
  const path = join(dir, name);
  writeFileSync(path, signers.map((s) => `ssh-ed25519 ${s.publicKey} ${name}`).join("\n"));
  return path;
}

describe("SSHPublicKeyDatabase", () => {
  it("reads every file of a map source before answering the first check, then only stats: one file per check, known user or not", async () => {
    const alicePath = keysFile("alice", alice);
    const bobPath = keysFile("bob", second);
    const db = new SSHPublicKeyDatabase({ alice: alicePath, bob: bobPath });
    expect(await db.requestAvatarId(answer("alice"))).toBe("alice");
    expect(fsCalls.readFile.sort()).toEqual([alicePath, bobPath].sort());
    for (const username of ["alice", "ghost", "bob"]) {
      fsCalls.stat.length = 0;
      fsCalls.readFile.length = 0;
      // alice's listed key signed by alice; ghost and bob refused, one with no file, one with no such key.
      if (username === "alice") await db.requestAvatarId(answer(username));
      else await expect(db.requestAvatarId(answer(username))).rejects.toBeInstanceOf(UnauthorizedLogin);
      expect(fsCalls.readFile).toEqual([]);
      expect(fsCalls.stat).toHaveLength(1);
    }
    // A key query costs the same file work as an answer.
    fsCalls.stat.length = 0;
    expect(await db.answerChallengeQuery({ mechanism: "ssh-key", username: "ghost", algorithm: "ssh-ed25519", publicKey: alice.publicKey })).toEqual({ keyAcceptable: false });
    expect(fsCalls.stat).toHaveLength(1);
    expect(fsCalls.readFile).toEqual([]);
  });

  it("refuses a key at the next check once it is removed from the file, and accepts one added", async () => {
    const path = keysFile("carol", alice);
    const db = new SSHPublicKeyDatabase({ carol: path });
    expect(await db.requestAvatarId(answer("carol"))).toBe("carol");
    await expect(db.requestAvatarId(answer("carol", second))).rejects.toBeInstanceOf(UnauthorizedLogin);
    // The same length: only the stat's times and the content differ.
    keysFile("carol", second);
    await expect(db.requestAvatarId(answer("carol"))).rejects.toBeInstanceOf(UnauthorizedLogin);
    expect(await db.requestAvatarId(answer("carol", second))).toBe("carol");
  });

  it("with a function source, reads a user's file once while it is unchanged and says nothing of names that have none", async () => {
    const path = keysFile("dave", alice);
    const warnings: unknown[] = [];
    const logger = { debug: () => undefined, info: () => undefined, warn: (o: unknown) => void warnings.push(o), error: () => undefined, child: () => logger };
    const db = new SSHPublicKeyDatabase((username) => join(dir, username), { logger });
    for (let i = 0; i < 3; i++) expect(await db.requestAvatarId(answer("dave"))).toBe("dave");
    expect(fsCalls.readFile).toEqual([path]);
    for (let i = 0; i < 20; i++) await expect(db.requestAvatarId(answer(`nobody-${i}`))).rejects.toBeInstanceOf(UnauthorizedLogin);
    expect(warnings).toEqual([]);
  });

  it("skips a key whose options narrow who may use it (from=, cert-authority, …), with a warning naming the option, and ignores session options", async () => {
    const path = join(dir, "erin");
    const third = sshKeySigner(newKeyPair("ed25519").privateKey);
    writeFileSync(
      path,
      [
        `from="10.9.9.9",no-pty ssh-ed25519 ${alice.publicKey} restricted`,
        `restrict,command="echo a b" ssh-ed25519 ${second.publicKey} session-options-only`,
        `CERT-AUTHORITY ssh-ed25519 ${third.publicKey} a-ca`,
      ].join("\n"),
    );
    const warnings: Array<Record<string, unknown>> = [];
    const logger = { debug: () => undefined, info: () => undefined, warn: (o: Record<string, unknown>) => void warnings.push(o), error: () => undefined, child: () => logger };
    const db = new SSHPublicKeyDatabase({ erin: path }, { logger });
    await expect(db.requestAvatarId(answer("erin"))).rejects.toBeInstanceOf(UnauthorizedLogin);
    expect(await db.requestAvatarId(answer("erin", second))).toBe("erin");
    await expect(db.requestAvatarId(answer("erin", third))).rejects.toBeInstanceOf(UnauthorizedLogin);
    expect(warnings).toEqual([
      { file: path, line: 1, option: "from" },
      { file: path, line: 3, option: "cert-authority" },
    ]);
  });

  it("skips an RSA key under 1024 bits as a bad line, as OpenSSH's RequiredRSASize does: listed, it still never logs in; a 1024-bit one does", async () => {
    // An outside probe logged in with a 512-bit key, which is factored cheaply.
    const weak = sshKeySigner(newKeyPair("rsa", { modulusLength: 512 }).privateKey);
    const fair = sshKeySigner(newKeyPair("rsa", { modulusLength: 1024 }).privateKey);
    const path = join(dir, "frank");
    writeFileSync(path, [`ssh-rsa ${weak.publicKey} weak`, `ssh-rsa ${fair.publicKey} fair`].join("\n"));
    const warnings: Array<Record<string, unknown>> = [];
    const logger = { debug: () => undefined, info: () => undefined, warn: (o: Record<string, unknown>) => void warnings.push(o), error: () => undefined, child: () => logger };
    const db = new SSHPublicKeyDatabase({ frank: path }, { logger });
    const rsaAnswer = (signer: typeof weak) => new SSHKeyCredentials("frank", CHALLENGE, "rsa-sha2-256", signer.publicKey, signer.sign(CHALLENGE));
    await expect(db.requestAvatarId(rsaAnswer(weak))).rejects.toBeInstanceOf(UnauthorizedLogin);
    expect(await db.answerChallengeQuery({ mechanism: "ssh-key", username: "frank", algorithm: "rsa-sha2-256", publicKey: weak.publicKey })).toEqual({ keyAcceptable: false });
    expect(await db.requestAvatarId(rsaAnswer(fair))).toBe("frank");
    expect(warnings).toEqual([{ file: path, line: 1 }]);
  });

  it("finds a key among thousands by its blob: the last of 2,000 logs in, an unlisted one is refused", async () => {
    const many = Array.from({ length: 1_999 }, () => sshKeySigner(newKeyPair("ed25519").privateKey));
    const path = keysFile("frank", ...many, alice);
    const db = new SSHPublicKeyDatabase({ frank: path });
    expect(await db.requestAvatarId(answer("frank"))).toBe("frank");
    expect(await db.requestAvatarId(answer("frank", many[0]!))).toBe("frank");
    await expect(db.requestAvatarId(answer("frank", second))).rejects.toBeInstanceOf(UnauthorizedLogin);
    expect(await db.answerChallengeQuery({ mechanism: "ssh-key", username: "frank", algorithm: "rsa-sha2-256", publicKey: alice.publicKey })).toEqual({ keyAcceptable: false });
  });
});
