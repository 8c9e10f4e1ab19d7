/** Builds credentials objects from their wire form, rejecting malformed ones. */
import { BadRequest } from "../errors.ts";
import { Anonymous } from "./anonymous.ts";
import type { Credentials, WireCredentials } from "./credentials.ts";
import { OpaqueCredentials } from "./opaque.ts";
import { UsernameHashedPassword } from "./username-hashed-password.ts";
import { UsernamePassword } from "./username-password.ts";
import { TokenCredentials } from "./token.ts";
import { USERNAME_PASSWORD_OTP, UsernamePasswordOtp } from "../checkers/totp.ts";

function stringField(wire: WireCredentials, field: string): string {
  const value = wire[field];
  if (typeof value !== "string") throw new BadRequest(`credentials.${field} must be a string`);
  return value;
}

/**
 * Rejects with `BadRequest` when a known kind lacks its fields; unknown kinds pass through opaque.
 * Fields beyond a known kind's own travel on to a remote checker as they came (PROTOCOL.md), so
 * a checker in another language can read, say, a `domain` next to `username` and `password`.
 */
export function credentialsFromWire(wire: WireCredentials): Credentials {
  return keepingExtraFields(known(wire), wire);
}

function known(wire: WireCredentials): Credentials {
  switch (wire.kind) {
    case UsernamePassword.kind:
      return new UsernamePassword(stringField(wire, "username"), stringField(wire, "password"));
    case UsernameHashedPassword.kind:
      return new UsernameHashedPassword(stringField(wire, "username"), stringField(wire, "hashed"));
    // Not `UsernamePasswordOtp.kind`: that static is inherited, and says "username-password".
    case USERNAME_PASSWORD_OTP:
      return new UsernamePasswordOtp(stringField(wire, "username"), stringField(wire, "password"), stringField(wire, "otp"));
    case TokenCredentials.kind:
      return new TokenCredentials(stringField(wire, "token"));
    case Anonymous.kind:
      return new Anonymous();
    default:
      return new OpaqueCredentials(wire);
  }
}

function keepingExtraFields(credentials: Credentials, wire: WireCredentials): Credentials {
  const own = credentials.toWire();
  for (const field in wire) {
    if (field in own) continue;
    // Only when there are extra fields: the common case keeps its shape. Not enumerable, so
    // nothing that walks the object (a log, an inspector) meets the secrets in `full`.
    const full: WireCredentials = { ...wire, ...own };
    Object.defineProperty(credentials, "toWire", { value: () => full });
    break;
  }
  return credentials;
}
