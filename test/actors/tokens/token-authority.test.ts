/** Signed session tokens: issue, verify, expiry, revocation, and refusal as UnauthorizedLogin. */
import { generateKeyPair, SignJWT, type JWTPayload } from "jose";
import { randomBytes } from "node:crypto";
import { newKeyPair } from "../../support/key-pairs.ts";
import { describe, expect, it } from "vitest";
import { ANONYMOUS } from "../../../actors/checkers/checker.ts";
import { TokenCredentials } from "../../../actors/credentials/token.ts";
import { UnauthorizedLogin, UNAUTHORIZED_MESSAGE } from "../../../actors/errors.ts";
import { TokenAuthority } from "../../../actors/tokens/token-authority.ts";
import { TokenChecker } from "../../../actors/tokens/token-checker.ts";

const secret = randomBytes(32);

describe("TokenAuthority", () => {
  it("issues an HS256 token that verifies to the same avatar id at another authority sharing the key", async () => {
    const issuing = new TokenAuthority({ algorithm: "HS256", signingKey: secret, verifyingKey: secret });
    const other = new TokenAuthority({ algorithm: "HS256", verifyingKey: secret });
    const { token, claims } = await issuing.issue("alice");
    expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    await expect(other.verify(token)).resolves.toEqual({
      avatarId: "alice",
      jti: claims.jti,
      expiresAt: claims.expiresAt,
    });
  });

  it("issues EdDSA tokens that a portal holding only the public key accepts", async () => {
    const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const issuing = new TokenAuthority({ algorithm: "EdDSA", signingKey: privateKey, verifyingKey: publicKey });
    const verifyOnly = new TokenAuthority({ algorithm: "EdDSA", verifyingKey: publicKey });
    const { token } = await issuing.issue("bob");
    expect((await verifyOnly.verify(token)).avatarId).toBe("bob");
    await expect(verifyOnly.issue("bob")).rejects.toThrow(/cannot sign/);
  });

  it("refuses keys that cannot work when it is made, not at the first token: two HS256 secrets, swapped, mismatched or RSA EdDSA keys", () => {
    // An outside newcomer's HS256 authority with two secrets issued tokens nobody accepted, itself included.
    const ed = newKeyPair("ed25519");
    const otherEd = newKeyPair("ed25519");
    const rsa = newKeyPair("rsa", { modulusLength: 2048 });
    expect(() => new TokenAuthority({ algorithm: "HS256", signingKey: randomBytes(32), verifyingKey: randomBytes(32) })).toThrow("HS256 uses one secret");
    expect(() => new TokenAuthority({ algorithm: "HS256", signingKey: randomBytes(16), verifyingKey: secret })).toThrow("at least 32 bytes");
    expect(() => new TokenAuthority({ algorithm: "HS256", verifyingKey: ed.publicKey })).toThrow("HS256 takes a secret");
    expect(() => new TokenAuthority({ algorithm: "EdDSA", signingKey: ed.publicKey, verifyingKey: ed.privateKey })).toThrow("verifyingKey must be an Ed25519 public key");
    expect(() => new TokenAuthority({ algorithm: "EdDSA", signingKey: rsa.privateKey, verifyingKey: rsa.publicKey })).toThrow("must be an Ed25519");
    expect(() => new TokenAuthority({ algorithm: "EdDSA", signingKey: ed.privateKey, verifyingKey: otherEd.publicKey })).toThrow("not one key pair");
    expect(() => new TokenAuthority({ algorithm: "EdDSA", verifyingKey: secret })).toThrow("must be an Ed25519 public key");
    // What works: one secret; one Ed25519 pair; the public key alone, to verify.
    expect(() => new TokenAuthority({ algorithm: "HS256", signingKey: secret, verifyingKey: secret })).not.toThrow();
    expect(() => new TokenAuthority({ algorithm: "EdDSA", signingKey: ed.privateKey, verifyingKey: ed.publicKey })).not.toThrow();
    expect(() => new TokenAuthority({ algorithm: "EdDSA", verifyingKey: ed.publicKey })).not.toThrow();
  });

  it("carries ANONYMOUS through a token", async () => {
    const authority = new TokenAuthority({ algorithm: "HS256", signingKey: secret, verifyingKey: secret });
    const { token } = await authority.issue(ANONYMOUS);
    expect((await authority.verify(token)).avatarId).toBe(ANONYMOUS);
  });

  it("refuses expired, tampered, foreign-key and revoked tokens with the one UnauthorizedLogin", async () => {
    let now = Date.now();
    const authority = new TokenAuthority({ algorithm: "HS256", signingKey: secret, verifyingKey: secret, ttlMs: 60_000, now: () => now });
    const other = randomBytes(32);
    const foreign = new TokenAuthority({ algorithm: "HS256", signingKey: other, verifyingKey: other });
    const { token, claims } = await authority.issue("alice");
    const [h, p, s] = token.split(".");
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, "base64url").toString()), sub: "mallory" })).toString("base64url")}.${s}`;
    const refusals: unknown[] = [];
    const refuse = async (p: Promise<unknown>) => refusals.push(await p.catch((e: unknown) => e));
    await refuse(authority.verify(tampered));
    await refuse(foreign.verify(token));
    await refuse(authority.verify("not-a-jwt"));
    authority.revoke(claims);
    await refuse(authority.verify(token));
    const fresh = await authority.issue("carol");
    now += 61_000;
    await refuse(authority.verify(fresh.token));
    expect(refusals).toHaveLength(5);
    for (const error of refusals as Error[]) {
      expect(error).toBeInstanceOf(UnauthorizedLogin);
      expect(error.message).toBe(UNAUTHORIZED_MESSAGE);
    }
  });

  describe("claims a key holder could sign but no issuer makes", () => {
    const now = Date.now();
    const seconds = Math.floor(now / 1000);
    const authority = new TokenAuthority({ algorithm: "HS256", signingKey: secret, verifyingKey: secret, now: () => now });
    const good: JWTPayload = { iss: "portcullis", sub: "alice", jti: "AAAAAAAAAAAAAAAAAAAAAA", iat: seconds, exp: seconds + 3600 };
    const sign = (payload: JWTPayload) => new SignJWT(payload).setProtectedHeader({ alg: "HS256" }).sign(secret);

    it("accepts well-formed claims signed by hand, an iat within the clock skew, and no iat", async () => {
      expect((await authority.verify(await sign(good))).avatarId).toBe("alice");
      expect((await authority.verify(await sign({ ...good, iat: seconds + 50 }))).avatarId).toBe("alice");
      const { iat: _iat, ...withoutIat } = good;
      expect((await authority.verify(await sign(withoutIat))).avatarId).toBe("alice");
      expect((await authority.verify(await sign({ ...good, sub: "", anon: true }))).avatarId).toBe(ANONYMOUS);
    });

    it.each<[string, JWTPayload]>([
      ["a jti that is no 22-character id", { ...good, jti: "x" }],
      ["a jti with characters outside base64url", { ...good, jti: "AAAAAAAAAAAAAAAAAAAA.>" }],
      ["an exp of 10^30", { ...good, exp: 1e30 }],
      ["no iat and an exp years away", { ...good, iat: undefined, exp: seconds + 10 * 365 * 86_400 }],
      ["an iat a year in the future", { ...good, iat: seconds + 365 * 86_400, exp: seconds + 365 * 86_400 + 3600 }],
      ["an iat past the clock skew", { ...good, iat: seconds + 120 }],
      ["a lifetime over 24 hours", { ...good, exp: seconds + 25 * 3600 }],
      ["an empty sub without anon", { ...good, sub: "" }],
      ["anon with a sub that names someone", { ...good, anon: true, sub: "bob" }],
      ["a sub with a control character", { ...good, sub: "alice\nbob" }],
      ["a sub of 50,000 characters", { ...good, sub: "a".repeat(50_000) }],
    ])("refuses %s with the one UnauthorizedLogin", async (_what, payload) => {
      const error = await authority.verify(await sign(payload)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnauthorizedLogin);
      expect((error as Error).message).toBe(UNAUTHORIZED_MESSAGE);
    });

    it("verifies its own tokens whatever ttlMs, up to maxLifetimeMs, which may not be below it", async () => {
      const long = new TokenAuthority({ algorithm: "HS256", signingKey: secret, verifyingKey: secret, ttlMs: 7 * 86_400_000 });
      expect((await long.verify((await long.issue("alice")).token)).avatarId).toBe("alice");
      // A verifier with the default cap refuses what that issuer makes, unless told the longer lifetime.
      await expect(authority.verify((await long.issue("alice")).token)).rejects.toBeInstanceOf(UnauthorizedLogin);
      const told = new TokenAuthority({ algorithm: "HS256", verifyingKey: secret, maxLifetimeMs: 7 * 86_400_000 });
      expect((await told.verify((await long.issue("alice")).token)).avatarId).toBe("alice");
      expect(() => new TokenAuthority({ algorithm: "HS256", verifyingKey: secret, ttlMs: 7_200_000, maxLifetimeMs: 3_600_000 })).toThrow(TypeError);
    });
  });

  it("forgets revocations once no token it verifies could still be valid: its maxLifetimeMs, clock skew and a second after", async () => {
    let now = 1_000_000;
    const authority = new TokenAuthority({ algorithm: "HS256", signingKey: secret, verifyingKey: secret, now: () => now, maxLifetimeMs: 3_600_000, clockSkewMs: 1_000 });
    authority.revoke({ jti: "a", expiresAt: now + 10 });
    now += 3_600_000 + 1_000 + 999;
    expect(authority.revocations.isRevoked("a")).toBe(true);
    now += 1;
    expect(authority.revocations.isRevoked("a")).toBe(false);
    // Swept at the next revocation a minute on (revocation-feed.test.ts: at most once a minute).
    now += 60_000;
    authority.revoke({ jti: "b", expiresAt: now + 10 });
    expect(authority.revocations.size).toBe(1);
    expect(authority.revocations.isRevoked("b")).toBe(true);
  });

  it("rejects an HS256 secret shorter than 32 bytes", () => {
    expect(() => new TokenAuthority({ algorithm: "HS256", signingKey: randomBytes(8), verifyingKey: randomBytes(8) })).toThrow(TypeError);
  });
});

describe("TokenChecker", () => {
  it("resolves token credentials to the avatar id and never shows the token in JSON", async () => {
    const authority = new TokenAuthority({ algorithm: "HS256", signingKey: secret, verifyingKey: secret });
    const checker = new TokenChecker(authority);
    const { token } = await authority.issue("alice");
    const credentials = new TokenCredentials(token);
    expect(await checker.requestAvatarId(credentials)).toBe("alice");
    expect(JSON.stringify(credentials)).not.toContain(token);
    await expect(checker.requestAvatarId(new TokenCredentials("x".repeat(9000)))).rejects.toBeInstanceOf(UnauthorizedLogin);
  });
});
