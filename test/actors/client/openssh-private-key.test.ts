/** OpenSSH-format private keys (what `ssh-keygen` writes) for the ssh-key mechanism's client signer. */
import { execFileSync } from "node:child_process";
import { verify } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseSSHPublicKey, sshKeySigner } from "../../../actors/index.ts";

const sshKeygen = ["/usr/bin/ssh-keygen", "/bin/ssh-keygen"].find((path) => existsSync(path));
const dir = mkdtempSync(join(tmpdir(), "portcullis-openssh-"));

/** A fresh key pair from ssh-keygen: the private key file's text and the authorized_keys blob. */
function keygen(type: "ed25519" | "rsa", passphrase = ""): { privateKey: string; blob: string } {
  const file = join(dir, `${type}-${Math.random().toString(36).slice(2)}`);
  execFileSync(sshKeygen!, ["-q", "-t", type, ...(type === "rsa" ? ["-b", "2048"] : []), "-N", passphrase, "-f", file]);
  return { privateKey: readFileSync(file, "utf8"), blob: readFileSync(`${file}.pub`, "utf8").split(" ")[1]! };
}

describe.skipIf(sshKeygen === undefined)("sshKeySigner with keys ssh-keygen wrote (OpenSSH format)", () => {
  for (const type of ["ed25519", "rsa"] as const) {
    it(`signs with an ${type} key: its public key is the authorized_keys line's, and the signature verifies`, () => {
      const { privateKey, blob } = keygen(type);
      expect(privateKey).toContain("BEGIN OPENSSH PRIVATE KEY");
      const signer = sshKeySigner(privateKey);
      expect(signer.algorithm).toBe(type === "ed25519" ? "ssh-ed25519" : "rsa-sha2-256");
      expect(signer.publicKey).toBe(blob);
      const challenge = Buffer.from("a challenge of 32 random bytes..").toString("base64");
      const signature = Buffer.from(signer.sign(challenge), "base64");
      const publicKey = parseSSHPublicKey(Buffer.from(blob, "base64"))!.key;
      expect(verify(type === "ed25519" ? null : "sha256", Buffer.from(challenge, "base64"), publicKey, signature)).toBe(true);
    });
  }

  it("refuses an encrypted key with a TypeError that says so", () => {
    const { privateKey } = keygen("ed25519", "a passphrase");
    expect(() => sshKeySigner(privateKey)).toThrow(/encrypted/);
  });
});
