/** Issues and verifies signed session tokens (JWT via jose): log in once, present the token anywhere. */
import { KeyObject as NodeKeyObject, sign, timingSafeEqual, verify } from "node:crypto";
import { errors, jwtVerify, SignJWT, type CryptoKey, type KeyObject } from "jose";
import { checkWholeNumber } from "../option-checks.ts";
import { isValidAvatarId } from "../checkers/avatar-id.ts";
import { ANONYMOUS, type AvatarId } from "../checkers/checker.ts";
import { UnauthorizedLogin } from "../errors.ts";
import { newIdentifier } from "../wire/identifiers.ts";
import { RevocationList } from "./revocation-list.ts";

type Key = CryptoKey | KeyObject | Uint8Array;

export interface TokenAuthorityOptions {
  /** `HS256` with a shared secret (≥ 32 bytes), or `EdDSA` with an Ed25519 key pair. */
  readonly algorithm: "HS256" | "EdDSA";
  /** The HS256 secret, or the EdDSA private key; absent on portals that only verify (EdDSA). */
  readonly signingKey?: Key;
  /** The HS256 secret, or the EdDSA public key. */
  readonly verifyingKey: Key;
  /** Every portal sharing the key uses the same issuer (default `portcullis`). */
  readonly issuer?: string;
  /** Token lifetime (default 1 hour). */
  readonly ttlMs?: number;
  /**
   * The longest lifetime (`exp` − `iat`) a token may claim to be verified: default the longer of
   * `ttlMs` and 24 hours, never less than `ttlMs`. Portals verifying tokens from an issuer with a
   * longer `ttlMs` set it to at least that.
   */
  readonly maxLifetimeMs?: number;
  /** How far ahead of this host's clock a token's `iat` may be (the issuer's clock running fast); default 60 s. */
  readonly clockSkewMs?: number;
  readonly revocations?: RevocationList;
  readonly now?: () => number;
}

/**
 * Refuses keys that cannot work with `TypeError`, before any token is made: an outside newcomer's
 * HS256 authority with two different secrets issued tokens nobody accepted, itself included, and
 * swapped or RSA EdDSA keys failed only at the first `issue`, as a bare `LoginFailed` to the client.
 */
function checkKeys({ algorithm, signingKey, verifyingKey }: TokenAuthorityOptions): void {
  if (algorithm === "HS256") {
    for (const key of [verifyingKey, signingKey]) {
      if (key instanceof Uint8Array && key.byteLength < 32) throw new TypeError("an HS256 secret must be at least 32 bytes");
      if (key !== undefined && !(key instanceof Uint8Array) && key.type !== "secret") throw new TypeError("HS256 takes a secret (bytes), not a public or private key");
    }
    if (signingKey instanceof Uint8Array && verifyingKey instanceof Uint8Array && !(signingKey.byteLength === verifyingKey.byteLength && timingSafeEqual(signingKey, verifyingKey))) {
      throw new TypeError("HS256 uses one secret: signingKey and verifyingKey must be the same bytes");
    }
    return;
  }
  if (algorithm !== "EdDSA") throw new TypeError(`unsupported token algorithm: ${String(algorithm)} (HS256 or EdDSA)`);
  const ed25519 = (key: Key, type: "public" | "private", role: string) => {
    const kind = key instanceof Uint8Array ? "secret" : key.type;
    const curve =
      key instanceof NodeKeyObject ? key.asymmetricKeyType : key instanceof Uint8Array ? undefined : (key as { algorithm?: { name?: string } }).algorithm?.name?.toLowerCase();
    if (kind !== type || curve !== "ed25519") throw new TypeError(`EdDSA's ${role} must be an Ed25519 ${type} key`);
  };
  ed25519(verifyingKey, "public", "verifyingKey");
  if (signingKey === undefined) return;
  ed25519(signingKey, "private", "signingKey");
  // Of one pair: what it signs, its own verifying key must accept.
  if (signingKey instanceof NodeKeyObject && verifyingKey instanceof NodeKeyObject) {
    const probe = Buffer.from("portcullis key pair check");
    if (!verify(null, probe, verifyingKey, sign(null, probe, signingKey))) throw new TypeError("EdDSA's signingKey and verifyingKey are not one key pair");
  }
}

/** The longest lifetime verified by default, whatever the authority's own `ttlMs` is shorter than. */
export const DEFAULT_MAX_LIFETIME_MS = 24 * 3_600_000;
/** How far in the future a token's `iat` may be by default. */
export const DEFAULT_CLOCK_SKEW_MS = 60_000;

/** A token id as `issue` makes them (`newIdentifier`): 22 base64url characters. */
const TOKEN_ID = /^[A-Za-z0-9_-]{22}$/;

/** What a valid token says. */
export interface TokenClaims {
  readonly avatarId: AvatarId;
  /** The token's id: what revocation names. */
  readonly jti: string;
  readonly expiresAt: number;
}

/**
 * Signs tokens for logged-in avatars and checks them. `verify` rejects with `UnauthorizedLogin`
 * (the same refusal as a wrong password) for a bad signature, an expired or a revoked token, and
 * for malformed claims even under a good signature: a `jti` that is not an id as `issue` makes
 * them, a `sub` that is no avatar id (`isValidAvatarId`: `""`, say) without `anon`, an `iat` in the future (beyond `clockSkewMs`), a lifetime
 * longer than `maxLifetimeMs`.
 */
export class TokenAuthority {
  readonly revocations: RevocationList;
  readonly #options: TokenAuthorityOptions;
  readonly #issuer: string;
  readonly #ttlMs: number;
  readonly #maxLifetimeMs: number;
  readonly #clockSkewMs: number;
  readonly #now: () => number;

  constructor(options: TokenAuthorityOptions) {
    checkKeys(options);
    checkWholeNumber("ttlMs", options.ttlMs, 1000, Number.MAX_SAFE_INTEGER);
    checkWholeNumber("maxLifetimeMs", options.maxLifetimeMs, 1000, Number.MAX_SAFE_INTEGER);
    checkWholeNumber("clockSkewMs", options.clockSkewMs, 0, Number.MAX_SAFE_INTEGER);
    this.#options = options;
    this.#issuer = options.issuer ?? "portcullis";
    this.#ttlMs = options.ttlMs ?? 3_600_000;
    // The authority's own tokens must verify: a cap below its lifetime is a configuration error.
    if (options.maxLifetimeMs !== undefined && options.maxLifetimeMs < this.#ttlMs) throw new TypeError("maxLifetimeMs must be at least ttlMs");
    this.#maxLifetimeMs = options.maxLifetimeMs ?? Math.max(this.#ttlMs, DEFAULT_MAX_LIFETIME_MS);
    this.#clockSkewMs = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
    this.#now = options.now ?? Date.now;
    // Kept as long as a token of this verifier's could be valid: no shorter `expiresAt` un-revokes one.
    this.revocations = options.revocations ?? new RevocationList(this.#now, this.#maxLifetimeMs + this.#clockSkewMs + 1000);
  }

  /** Signs a token for `avatarId`; rejects when this authority holds no signing key. */
  async issue(avatarId: AvatarId): Promise<{ token: string; claims: TokenClaims }> {
    if (!this.#options.signingKey) throw new TypeError("this token authority cannot sign (no signing key)");
    const now = this.#now();
    // JWT times are whole seconds: round here so the claims match what `verify` will read back.
    const claims: TokenClaims = { avatarId, jti: newIdentifier(), expiresAt: Math.floor((now + this.#ttlMs) / 1000) * 1000 };
    const token = await new SignJWT(avatarId === ANONYMOUS ? { anon: true } : {})
      .setProtectedHeader({ alg: this.#options.algorithm })
      .setIssuer(this.#issuer)
      .setSubject(avatarId === ANONYMOUS ? "" : avatarId)
      .setJti(claims.jti)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(claims.expiresAt / 1000))
      .sign(this.#options.signingKey);
    return { token, claims };
  }

  async verify(token: string): Promise<TokenClaims> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.#options.verifyingKey, {
        issuer: this.#issuer,
        algorithms: [this.#options.algorithm],
        currentDate: new Date(this.#now()),
      }));
    } catch (error) {
      if (error instanceof errors.JOSEError || error instanceof TypeError) throw new UnauthorizedLogin();
      throw error;
    }
    if (typeof payload.jti !== "string" || typeof payload.exp !== "number" || typeof payload.sub !== "string") {
      throw new UnauthorizedLogin();
    }
    const anonymous = payload["anon"] === true;
    // Only a key holder can sign these, but a verifier still refuses claims no issuer should make.
    // An anonymous token names nobody: `anon` with a `sub` is a claim no issuer of ours makes (an
    // outside probe's logged in as anonymous, its `sub` ignored).
    if (!TOKEN_ID.test(payload.jti) || (anonymous ? payload.sub !== "" : !isValidAvatarId(payload.sub))) throw new UnauthorizedLogin();
    const now = this.#now();
    if (payload.iat !== undefined && payload.iat * 1000 > now + this.#clockSkewMs) throw new UnauthorizedLogin();
    // JWT times are whole seconds, rounded down apart: one second of slack. No `iat`: counted from now.
    const issuedAt = payload.iat !== undefined ? payload.iat * 1000 : now;
    if (payload.exp * 1000 - issuedAt > this.#maxLifetimeMs + 1000) throw new UnauthorizedLogin();
    if (this.revocations.isRevoked(payload.jti)) throw new UnauthorizedLogin();
    const avatarId: AvatarId = anonymous ? ANONYMOUS : payload.sub;
    return { avatarId, jti: payload.jti, expiresAt: payload.exp * 1000 };
  }

  /** Revokes a token by its id; portals end the sessions it opened (see `onRevoke`). */
  revoke(claims: Pick<TokenClaims, "jti" | "expiresAt">): void {
    this.revocations.revoke(claims.jti, claims.expiresAt);
  }
}
