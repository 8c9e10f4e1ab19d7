/** The `token` auth type: `--auth token:HS256:PATH` and `token:EdDSA:PATH` check tokens issued elsewhere. */
import { exportSPKI, generateKeyPair } from "jose";
import { mkdtempSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidAuthArgumentString, makeChecker, TokenAuthority, TokenCredentials, UnauthorizedLogin } from "../../actors/index.ts";

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
