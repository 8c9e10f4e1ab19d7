/** A second factor: RFC 6238 time-based one-time passwords (via otplib), and the credentials that carry one. */
import { generateSecret, NobleCryptoPlugin, ScureBase32Plugin, TOTP } from "otplib";
import { redacted, type Credentials, type WireCredentials } from "../credentials/credentials.ts";
import { MemoryTotpSteps, type TotpStepStore } from "./totp-steps.ts";
import { UsernamePassword } from "../credentials/username-password.ts";
import { LoginFailed, UnauthorizedLogin } from "../errors.ts";
import type { AvatarId, Checker } from "./checker.ts";

/** The wire kind of a password plus a one-time code: `{kind, username, password, otp}`. */
export const USERNAME_PASSWORD_OTP = "username-password-otp";

/**
 * A username, a password and a one-time code. Derived from `username-password`, so a password
 * checker checks it as it is, and a `TotpChecker` checks its code.
 */
export class UsernamePasswordOtp extends UsernamePassword {
  override readonly kinds: readonly string[] = [USERNAME_PASSWORD_OTP, UsernamePassword.kind];
  readonly #otp: string;

  constructor(username: string, password: string, otp: string) {
    super(username, password);
    this.#otp = otp;
  }

  get otp(): string {
    return this.#otp;
  }

  override toWire(): WireCredentials {
    return { ...super.toWire(), kind: USERNAME_PASSWORD_OTP, otp: this.#otp };
  }

  override toJSON(): unknown {
    return redacted(USERNAME_PASSWORD_OTP, { username: this.username });
  }
}

/** Finds a user's base32 TOTP secret; undefined for a user without one. */
export type TotpSecretLookup = (username: string) => Promise<string | undefined> | string | undefined;

export interface TotpCheckerOptions {
  /** The clock, epoch ms; `Date.now` when absent. */
  readonly now?: () => number;
  /** Clock skew accepted, seconds: symmetric, or `[past, future]`. Default 30 (one 30 s step either way). */
  readonly toleranceSeconds?: number | readonly [number, number];
  /**
   * Where used time steps are remembered: this process's memory by default; `openKvTotpSteps`
   * shares them between portals, so a code used at one cannot be replayed at another.
   */
  readonly steps?: TotpStepStore;
}

// Compared against for unknown users, so that they cost a verification too. Random per process.
const UNKNOWN_USER_SECRET = generateSecret();
const SIX_DIGITS = /^[0-9]{6}$/;
// otplib's defaults (audited pure-JS HMAC and base32), stated once; sha1, 6 digits, 30 s are TOTP's defaults.
const totp = new TOTP({ crypto: new NobleCryptoPlugin(), base32: new ScureBase32Plugin() });

/**
 * Checks the `otp` of `username-password-otp` credentials (a `UsernamePasswordOtp`, or the same
 * kind arriving opaque from the wire) against the user's secret: 6 digits, SHA-1, 30 s steps, as
 * authenticator apps use. A code is accepted once: a replay, even within its window, is refused.
 * The password is not looked at: stack this after a password checker in a `CascadingChecker`.
 * Rejects with `UnauthorizedLogin` (unknown user, wrong, malformed or replayed code), and with
 * `LoginFailed` when the secret lookup fails or a stored secret is unusable.
 */
export class TotpChecker implements Checker {
  readonly credentialKinds: readonly string[] = [USERNAME_PASSWORD_OTP];
  readonly #secrets = new Map<string, string>();
  readonly #lookup: TotpSecretLookup;
  readonly #fromLookup: boolean;
  readonly #now: () => number;
  readonly #tolerance: number | [number, number];
  /** username → last accepted time step (RFC 6238 §5.2: one use per code). */
  readonly #steps: TotpStepStore;

  constructor(secrets: Readonly<Record<string, string>> | TotpSecretLookup = {}, options: TotpCheckerOptions = {}) {
    this.#fromLookup = typeof secrets === "function";
    if (typeof secrets === "function") {
      this.#lookup = secrets;
    } else {
      for (const [username, secret] of Object.entries(secrets)) this.#secrets.set(username, secret);
      this.#lookup = (username) => this.#secrets.get(username);
    }
    this.#now = options.now ?? Date.now;
    this.#steps = options.steps ?? new MemoryTotpSteps();
    const tolerance = options.toleranceSeconds ?? 30;
    this.#tolerance = typeof tolerance === "number" ? tolerance : [tolerance[0], tolerance[1]];
  }

  /** Enrols a user with a base32 secret. Throws `TypeError` on a checker built from a lookup function. */
  addUser(username: string, secret: string): void {
    if (this.#fromLookup) throw new TypeError("this TotpChecker reads secrets through its lookup function");
    this.#secrets.set(username, secret);
  }

  async requestAvatarId(credentials: Credentials): Promise<AvatarId> {
    const wire = credentials.toWire();
    const { username, otp } = wire;
    if (wire.kind !== USERNAME_PASSWORD_OTP || typeof username !== "string" || typeof otp !== "string") {
      throw new UnauthorizedLogin();
    }
    let secret: string | undefined;
    try {
      secret = await this.#lookup(username);
    } catch {
      throw new LoginFailed("one-time password secrets unavailable");
    }
    const wellFormed = SIX_DIGITS.test(otp);
    let last: number | undefined;
    try {
      last = await this.#steps.last(username);
    } catch {
      // Fail closed: without the record, a replay could not be told from a first use.
      throw new LoginFailed("one-time password records unavailable");
    }
    let result;
    try {
      // Unknown users and malformed codes still pay for a verification, so timing tells nothing.
      result = await totp.verify(wellFormed ? otp : "000000", {
        secret: secret ?? UNKNOWN_USER_SECRET,
        epoch: Math.floor(this.#now() / 1000),
        epochTolerance: this.#tolerance,
        ...(last !== undefined && { afterTimeStep: last }),
      });
    } catch {
      // otplib's message could quote the secret's encoding problem: say nothing about it.
      throw new LoginFailed("one-time password secret unusable");
    }
    if (secret === undefined || !wellFormed || !result.valid) throw new UnauthorizedLogin();
    // Claimed, not just compared: two logins racing with one code (at one portal or two) must not both pass.
    let claimed: boolean;
    try {
      claimed = await this.#steps.claim(username, result.timeStep);
    } catch {
      throw new LoginFailed("one-time password records unavailable");
    }
    if (!claimed) throw new UnauthorizedLogin();
    return username;
  }

  toJSON(): unknown {
    return { checker: "TotpChecker", credentialKinds: this.credentialKinds };
  }
}
