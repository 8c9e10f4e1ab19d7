/** The `token` auth type: `--auth token:HS256:PATH` and `token:EdDSA:PATH` check tokens issued elsewhere. */
import { exportPKCS8, exportSPKI, generateKeyPair } from "jose";
import { mkdtempSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  InvalidAuthArgumentString,
  KeyFileError,
  makeChecker,
  TokenAuthority,
  tokenAuthorityFromFile,
  TokenCredentials,
  UnauthorizedLogin,
} from "../../actors/index.ts";

const dir = mkdtempSync(join(tmpdir(), "portcullis-token-"));

describe("token auth type", () => {
  it("checks HS256 tokens with the shared secret from a file", async () => {
    const secret = randomBytes(32);
    writeFileSync(join(dir, "secret"), secret);
    const checker = await makeChecker(`token:HS256:${join(dir, "secret")}`);
    const { token } = await new TokenAuthority({ algorithm: "HS256", signingKey: secret, verifyingKey: secret }).issue("alice");
    expect(await checker.requestAvatarId(new TokenCredentials(token))).toBe("alice");
    await expect(Promise.resolve().then(() => checker.requestAvatarId(new TokenCredentials(`${token}x`)))).rejects.toBeInstanceOf(UnauthorizedLogin);
  });

  it("checks EdDSA tokens with only the issuer's public key", async () => {
    const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    writeFileSync(join(dir, "public.pem"), await exportSPKI(publicKey));
    const checker = await makeChecker(`token:EdDSA:${join(dir, "public.pem")}`);
    const { token } = await new TokenAuthority({ algorithm: "EdDSA", signingKey: privateKey, verifyingKey: publicKey }).issue("bob");
    expect(await checker.requestAvatarId(new TokenCredentials(token))).toBe("bob");
  });

  it("rejects malformed argstrings, missing files and short secrets with InvalidAuthArgumentString", async () => {
    writeFileSync(join(dir, "short"), "too short");
    for (const description of ["token", "token:RS256:/x", `token:HS256:${join(dir, "missing")}`, `token:HS256:${join(dir, "short")}`, `token:EdDSA:${join(dir, "short")}`]) {
      await expect(makeChecker(description), description).rejects.toBeInstanceOf(InvalidAuthArgumentString);
    }
  });
});

describe("token key files (tokenAuthorityFromFile, `portcullis serve|portal --tokens`)", () => {
  it("ignores one trailing newline of an HS256 secret, as `openssl rand -base64 48 > key` writes it", async () => {
    const secret = randomBytes(48).toString("base64");
    writeFileSync(join(dir, "with-newline"), `${secret}\n`);
    writeFileSync(join(dir, "without"), secret);
    const signer = await tokenAuthorityFromFile(`HS256:${join(dir, "with-newline")}`, "sign");
    const { token } = await signer.issue("alice");
    const verifier = await tokenAuthorityFromFile(`HS256:${join(dir, "without")}`, "verify");
    expect((await verifier.verify(token)).avatarId).toBe("alice");
    const byHand = new TokenAuthority({ algorithm: "HS256", verifyingKey: new TextEncoder().encode(secret) });
    expect((await byHand.verify(token)).avatarId).toBe("alice");
  });

  it("uses a binary secret byte for byte, even one that ends in a newline byte", async () => {
    const secret = Buffer.concat([randomBytes(40), Buffer.from([0x0d, 0x0a])]);
    writeFileSync(join(dir, "binary"), secret);
    const { token } = await (await tokenAuthorityFromFile(`HS256:${join(dir, "binary")}`, "sign")).issue("carol");
    const byHand = new TokenAuthority({ algorithm: "HS256", verifyingKey: new Uint8Array(secret) });
    expect((await byHand.verify(token)).avatarId).toBe("carol");
  });

  it("signs with an Ed25519 private key file, and verifies with the public key file or the private one", async () => {
    const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    writeFileSync(join(dir, "ed-private.pem"), await exportPKCS8(privateKey));
    writeFileSync(join(dir, "ed-public.pem"), await exportSPKI(publicKey));
    const signer = await tokenAuthorityFromFile(`EdDSA:${join(dir, "ed-private.pem")}`, "sign");
    const { token } = await signer.issue("bob");
    for (const file of ["ed-public.pem", "ed-private.pem"]) {
      expect((await (await tokenAuthorityFromFile(`EdDSA:${join(dir, file)}`, "verify")).verify(token)).avatarId).toBe("bob");
    }
    // A public key cannot sign: refused when the portal starts, not at the first login.
    await expect(tokenAuthorityFromFile(`EdDSA:${join(dir, "ed-public.pem")}`, "sign")).rejects.toThrow(/private key/);
  });

  it("refuses a malformed spec, a missing file, a short secret and a file without a key with KeyFileError", async () => {
    writeFileSync(join(dir, "short"), "too short\n");
    for (const spec of ["HS256", "RS256:/x", `HS256:${join(dir, "missing")}`, `HS256:${join(dir, "short")}`, `EdDSA:${join(dir, "short")}`]) {
      await expect(tokenAuthorityFromFile(spec, "sign"), spec).rejects.toBeInstanceOf(KeyFileError);
    }
  });
});
