/** `portcullis hash` (app/hash-command.ts): lines for a hashed password file, read without echo from a TTY. */
import { PassThrough } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { HashedPasswordChecker, hashMap, UsernamePassword, verifierFor } from "../../../actors/index.ts";
import { hashCommand, type HashCommandIO } from "../../../app/hash-command.ts";
import { UsageError } from "../../../app/usage-error.ts";

function fakeIO(tty: boolean) {
  const stdin = Object.assign(new PassThrough(), { isTTY: tty, setRawMode: vi.fn() });
  let out = "";
  let err = "";
  const io: HashCommandIO = {
    stdin: tty ? stdin : Object.assign(stdin, { isTTY: undefined }),
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
  };
  return { io, stdin, out: () => out, err: () => err };
}

describe("hashCommand", () => {
  it.each(["argon2id", "scrypt", "bcrypt"])("prints a username:%s line that logs the user in", async (algorithm) => {
    const { io, stdin, out } = fakeIO(false);
    stdin.end("pässwörd\nignored\n");
    expect(await hashCommand(["--algorithm", algorithm, "alice"], io)).toBe(0);
    const [username, hash] = out().trimEnd().split(/:(.*)/s) as [string, string];
    expect(username).toBe("alice");
    expect(verifierFor(hash)?.algorithm).toBe(algorithm);
    const checker = new HashedPasswordChecker(hashMap({ alice: hash }));
    expect(await checker.requestAvatarId(new UsernamePassword("alice", "pässwörd"))).toBe("alice");
  });

  it("prints only the hash without a username, and takes a last line without a newline", async () => {
    const { io, stdin, out } = fakeIO(false);
    stdin.end("secret\r");
    expect(await hashCommand([], io)).toBe(0);
    expect(out()).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[^\n:]+\n$/);
    expect(await verifierFor(out().trim())!.verify(out().trim(), "secret")).toBe(true);
  });

  it("reads from a terminal in raw mode, asks twice, echoes nothing and handles backspace", async () => {
    const { io, stdin, out, err } = fakeIO(true);
    const done = hashCommand(["--algorithm", "bcrypt", "bob"], io);
    stdin.write("hunterX\u007f2\r");
    await vi.waitFor(() => expect(err()).toContain("Re-type new password: "));
    stdin.write(Buffer.from("hunter2\r"));
    expect(await done).toBe(0);
    expect(stdin.setRawMode.mock.calls).toEqual([[true], [false], [true], [false]]);
    expect(err()).toBe("New password: \nRe-type new password: \n");
    const hash = out().trimEnd().slice("bob:".length);
    expect(await verifierFor(hash)!.verify(hash, "hunter2")).toBe(true);
  });

  it("fails when the two passwords differ, and on Ctrl-C, printing nothing", async () => {
    const mismatch = fakeIO(true);
    const first = hashCommand(["bob"], mismatch.io);
    mismatch.stdin.write("one\r");
    await vi.waitFor(() => expect(mismatch.err()).toContain("Re-type"));
    mismatch.stdin.write("two\r");
    expect(await first).toBe(1);
    expect(mismatch.err()).toContain("password verification error");
    const interrupted = fakeIO(true);
    const second = hashCommand(["bob"], interrupted.io);
    interrupted.stdin.write("par\u0003");
    expect(await second).toBe(130);
    expect(mismatch.out() + interrupted.out()).toBe("");
  });

  it("refuses an empty password and empty stdin with status 1 (130 is for Ctrl-C)", async () => {
    const empty = fakeIO(false);
    empty.stdin.end("\n");
    expect(await hashCommand(["alice"], empty.io)).toBe(1);
    const nothing = fakeIO(false);
    nothing.stdin.end();
    expect(await hashCommand(["alice"], nothing.io)).toBe(1);
    expect(nothing.err()).toBe("portcullis hash: no password given\n");
    const ctrlD = fakeIO(true);
    const done = hashCommand(["alice"], ctrlD.io);
    ctrlD.stdin.write("\u0004");
    expect(await done).toBe(1);
    // On a terminal an empty password is refused at once, not after asking to re-type it.
    const enter = fakeIO(true);
    const refused = hashCommand(["alice"], enter.io);
    enter.stdin.write("\r");
    expect(await refused).toBe(1);
    expect(enter.err()).toBe("New password: \nportcullis hash: empty password refused\n");
  });

  it("refuses a password bcrypt would cut at 72 bytes, and one that is not valid UTF-8, printing nothing", async () => {
    const long = fakeIO(false);
    long.stdin.end(`${"L".repeat(72)}DIFFERENT\n`);
    expect(await hashCommand(["--algorithm", "bcrypt", "alice"], long.io)).toBe(1);
    expect(long.err()).toContain("bcrypt uses only the first 72 bytes of a password and this one has 81");
    const fine = fakeIO(false);
    fine.stdin.end(`${"L".repeat(81)}\n`);
    expect(await hashCommand(["alice"], fine.io)).toBe(0);
    const binary = fakeIO(false);
    binary.stdin.end(Buffer.from([0x70, 0xff, 0xfe, 0x0a]));
    expect(await hashCommand(["alice"], binary.io)).toBe(1);
    expect(binary.err()).toContain("not valid UTF-8");
    expect(long.out() + binary.out()).toBe("");
  });

  it("throws UsageError for an unknown algorithm, a username with ':' or extra arguments", async () => {
    const { io } = fakeIO(false);
    await expect(hashCommand(["--algorithm", "md5", "alice"], io)).rejects.toBeInstanceOf(UsageError);
    await expect(hashCommand(["a:b"], io)).rejects.toBeInstanceOf(UsageError);
    await expect(hashCommand(["alice", "bob"], io)).rejects.toBeInstanceOf(UsageError);
    await expect(hashCommand(["--rounds", "3"], io)).rejects.toBeInstanceOf(UsageError);
  });
});
