/** Session and challenge identifiers: 128-bit random capabilities. */
import { randomBytes } from "node:crypto";

/** 128 random bits, base64url: 22 characters, valid as one subject token. */
export function newIdentifier(): string {
  return randomBytes(16).toString("base64url");
}

/** Enough of an identifier to correlate log lines, never enough to use it. */
export function shortId(id: string): string {
  return `${id.slice(0, 6)}…`;
}
