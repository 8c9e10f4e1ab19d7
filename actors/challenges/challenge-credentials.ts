/** Credentials made by a challenge: who answered, what was asked and the answer, as a checker receives them. */
import { BadRequest, UnhandledCredentials } from "../errors.ts";
import { redacted, type Credentials, type WireCredentials } from "../credentials/credentials.ts";

/**
 * `{"kind": M, "username", "challenge", "response"}` (PROTOCOL.md, "Checkers as services").
 * The challenge actor builds them; a checker served elsewhere gets them back from their wire
 * form with `from`. The response never appears in `toJSON`. Their `kinds` are `[M]`; a subclass
 * checkable as a base kind too lists it after (cram-md5 and pb-md5: `username-hashed-password`).
 */
export class ChallengeResponse implements Credentials {
  readonly kinds: readonly string[];
  readonly #response: string;

  constructor(readonly kind: string, readonly username: string, readonly challenge: string, response: string) {
    this.kinds = [kind];
    this.#response = response;
  }

  /** The client's answer (a MAC or proof, not a password; still never logged). */
  get response(): string {
    return this.#response;
  }

  toWire(): WireCredentials {
    return { kind: this.kind, username: this.username, challenge: this.challenge, response: this.#response };
  }

  toJSON(): unknown {
    return redacted(this.kind, { username: this.username });
  }
}

/** A string field of wire credentials. Rejects with `BadRequest` when absent or not a string. */
export function wireString(wire: WireCredentials, field: string, maxLength = 8192): string {
  const value = wire[field];
  if (typeof value !== "string" || value.length > maxLength) throw new BadRequest(`credentials.${field} must be a string`);
  return value;
}

/**
 * These credentials as a `ChallengeResponse` of `kind` (built by `make`), whether they are one
 * already or came over the wire as opaque credentials. Rejects with `BadRequest` when malformed.
 */
export function asChallengeResponse<T extends ChallengeResponse>(
  credentials: Credentials,
  kind: string,
  type: abstract new (...args: never[]) => T,
  make: (username: string, challenge: string, response: string) => T,
): T {
  if (credentials instanceof type) return credentials;
  const wire = credentials.toWire();
  // A checker asked about a kind it does not check refuses as the Portal would, never with BadRequest.
  if (wire.kind !== kind) throw new UnhandledCredentials(`credentials are not ${kind}`);
  return make(wireString(wire, "username", 1024), wireString(wire, "challenge"), wireString(wire, "response"));
}
