/** `cram-md5` (RFC 2195, Twisted's `CramMD5Credentials`): HMAC-MD5 of a `<random.time@host>` challenge. */
import { createHmac, randomInt, timingSafeEqual } from "node:crypto";
import { BadRequest } from "../errors.ts";
import type { Credentials } from "../credentials/credentials.ts";
import { UsernameHashedPassword } from "../credentials/username-hashed-password.ts";
import { asChallengeResponse, ChallengeResponse } from "./challenge-credentials.ts";
import type { ChallengeMechanism, ChallengeStep } from "./mechanism.ts";

export const CRAM_MD5 = "cram-md5";

/**
 * What cram-md5 answers are checked as: their own kind, then `username-hashed-password`, as
 * Twisted's `CramMD5Credentials` implements `IUsernameHashedPassword`: any checker holding
 * plaintext passwords verifies them through `checkPassword`.
 */
export const CRAM_MD5_KINDS: readonly string[] = Object.freeze([CRAM_MD5, UsernameHashedPassword.kind]);

/** The RFC 2195 response: lowercase hex HMAC-MD5, key = password, message = the challenge text. */
export function cramMD5Response(password: string, challenge: string): string {
  return createHmac("md5", Buffer.from(password, "utf8")).update(challenge, "utf8").digest("hex");
}

/**
 * A cram-md5 answer; a checker that holds the password calls `checkPassword`. Unlike Twisted's,
 * it has no `getChallenge`/`setResponse`/`moreChallenges`: the challenge actor issues the
 * challenge and reads the answer, and builds these credentials from them (docs/challenges.md).
 */
export class CramMD5Credentials extends ChallengeResponse {
  static readonly kind = CRAM_MD5;
  override readonly kinds: readonly string[] = CRAM_MD5_KINDS;

  constructor(username: string, challenge: string, response: string) {
    super(CRAM_MD5, username, challenge, response);
  }

  /** These credentials whether local or opaque from the wire; rejects with `BadRequest` when malformed. */
  static from(credentials: Credentials): CramMD5Credentials {
    return asChallengeResponse(credentials, CRAM_MD5, CramMD5Credentials, (u, c, r) => new CramMD5Credentials(u, c, r));
  }

  /** True when the response is the lowercase hex HMAC of the challenge keyed with `password` (exactly, as Twisted); constant time. */
  checkPassword(password: string): boolean {
    return equalHex(cramMD5Response(password, this.challenge), this.response);
  }
}

/**
 * Compares a computed lowercase hex digest with a presented one exactly (Twisted compares
 * `hexlify` output with `==`; PROTOCOL.md says lowercase hex, so uppercase is refused) without
 * leaking where they differ.
 */
export function equalHex(expected: string, presented: string): boolean {
  const a = Buffer.from(expected, "utf8");
  const b = Buffer.from(presented, "utf8");
  // Lengths are public (a digest's length is fixed); only equal-length buffers reach timingSafeEqual.
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Rejects with `BadRequest` when the field is not a string within its limit. */
export function answerField(body: Record<string, unknown>, field: string, maxLength = 8192): string {
  const value = body[field];
  if (typeof value !== "string" || value.length === 0) throw new BadRequest(`invalid ${field}: expected a non-empty string`);
  if (value.length > maxLength) throw new BadRequest(`invalid ${field}: longer than ${maxLength} characters`);
  return value;
}

/**
 * The answer's `response`, which can only be right as 32 lowercase hex digits (PROTOCOL.md).
 * Anything else is refused with `BadRequest` before it is checked, so the round stays open for a
 * well-formed one, as scram-sha-256 and ssh-key do for theirs; it used to be checked, refused
 * `UnauthorizedLogin` and end the challenge (an outside probe found the mechanisms inconsistent).
 */
export function md5HexField(body: Record<string, unknown>): string {
  const response = answerField(body, "response", 256);
  if (!/^[0-9a-f]{32}$/.test(response)) throw new BadRequest("invalid response: expected 32 lowercase hex digits");
  return response;
}

/** The answer's username; rejects with `BadRequest` when missing. */
export function requireUsername(username: string | undefined): string {
  if (username === undefined) throw new BadRequest("invalid username: expected a non-empty string");
  return username;
}

export const cramMD5Mechanism: ChallengeMechanism = {
  name: CRAM_MD5,
  issue(_request, context) {
    // Twisted's shape, `<%d.%d@%s>`: the random part makes it unique, the time makes it fresh.
    const random = randomInt(0, 2 ** 47);
    return { challenge: `<${random}.${Math.floor(Date.now() / 1000)}@${context.host}>` };
  },
  step(answer, issued): ChallengeStep {
    const username = requireUsername(answer.username);
    const response = md5HexField(answer.body);
    return { type: "login", credentials: new CramMD5Credentials(username, issued.challenge, response) };
  },
};
