/** Token key files: a key is never taken for an HS256 secret, and a verifier given the signing key says so. */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InvalidAuthArgumentString, KeyFileError, makeChecker, TokenAuthority, tokenAuthorityFromFile, TokenCredentials } from "../../../actors/index.ts";
import { captureLogs } from "../../support/capture-logs.ts";
import { newKeyPair } from "../../support/key-pairs.ts";

const dir = mkdtempSync(join(tmpdir(), "portcullis-key-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ed = newKeyPair("ed25519");
const privatePem = ed.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
const publicPem = ed.publicKey.export({ format: "pem", type: "spki" }).toString();
// Only the first line matters to the check; the body is filler of a plausible length.
const openSshPrivate = `-----BEGIN OPENSSH PRIVATE KEY-----\n${randomBytes(300).toString("base64")}\n-----END OPENSSH PRIVATE KEY-----\n`;
const sshPublicLine = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${randomBytes(32).toString("base64")} alice@host\n`;
const rsaPem = newKeyPair("rsa", { modulusLength: 2048 }).privateKey.export({ format: "pem", type: "pkcs1" }).toString();

function file(name: string, contents: string): string {
  const path = join(dir, name);
  writeFileSync(path, contents);
  return path;
}

describe("HS256 key files", () => {
  it.each([
    ["an Ed25519 private key (PEM)", privatePem],
    ["an Ed25519 public key (PEM)", publicPem],
    ["an RSA private key (PEM, PKCS#1)", rsaPem],
    ["an OpenSSH private key", openSshPrivate],
    ["an authorized_keys line", sshPublicLine],
    ["a key after blank lines", `\n\n${publicPem}`],
    ["a key after openssl pkcs12's Bag Attributes", `Bag Attributes\n    localKeyID: 01 02 03\n${privatePem}`],
    ["an authorized_keys file opening with a comment", `# alice's keys\n${sshPublicLine}`],
  ])("refuses %s with KeyFileError pointing to EdDSA:, without quoting the file", async (name, contents) => {
    const path = file(name.replace(/\W+/g, "-"), contents);
    for (const use of ["sign", "verify"] as const) {
      const error = await tokenAuthorityFromFile(`HS256:${path}`, use).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KeyFileError);
      expect((error as Error).message).toContain(`EdDSA:${path}`);
      expect((error as Error).message).not.toContain("\n");
      expect((error as Error).message).not.toMatch(/AAAA|BEGIN|KEY-----/);
    }
    await expect(makeChecker(`token:HS256:${path}`)).rejects.toBeInstanceOf(InvalidAuthArgumentString);
  });

  it("still takes a random secret, text or binary", async () => {
    for (const secret of [randomBytes(48).toString("base64") + "\n", randomBytes(48).toString("hex"), randomBytes(40)]) {
      const path = join(dir, "secret");
      writeFileSync(path, secret);
      await expect(tokenAuthorityFromFile(`HS256:${path}`, "sign")).resolves.toBeInstanceOf(TokenAuthority);
    }
  });
});

describe("EdDSA verifier key files", () => {
  it("accepts the private key for token:EdDSA:PATH, and warns on the context logger without the key", async () => {
    const path = file("ed-private.pem", privatePem);
    const logs = captureLogs();
    const checker = await makeChecker(`token:EdDSA:${path}`, { logger: logs.logger });
    const signer = new TokenAuthority({ algorithm: "EdDSA", signingKey: ed.privateKey, verifyingKey: ed.publicKey });
    expect(await checker.requestAvatarId(new TokenCredentials((await signer.issue("alice")).token))).toBe("alice");
    const lines = logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([expect.objectContaining({ level: 40, file: path, msg: expect.stringMatching(/private key.*openssl pkey -in .* -pubout/) })]);
    const body = privatePem.split("\n")[1]!;
    expect(logs.lines.join("\n")).not.toContain(body.slice(0, 16));
    expect(logs.lines.join("\n")).not.toContain("BEGIN");
  });

  it("does not warn for the public key, nor when the private key is loaded to sign", async () => {
    const logs = captureLogs();
    await makeChecker(`token:EdDSA:${file("ed-public.pem", publicPem)}`, { logger: logs.logger });
    await tokenAuthorityFromFile(`EdDSA:${file("ed-signing.pem", privatePem)}`, "sign", { logger: logs.logger });
    expect(logs.lines).toEqual([]);
  });
});
