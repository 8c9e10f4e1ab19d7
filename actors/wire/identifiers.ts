/** Session and challenge identifiers: 128-bit random capabilities. */
import { randomFillSync } from "node:crypto";
import { redactIdentifiers } from "../../transports/redact.ts";

// One CSPRNG call per 256 identifiers instead of one each: a login creates one (measured ~4% of
// a login's CPU unpooled). Bytes are used once and never handed out twice.
const POOL_IDS = 256;
const pool = Buffer.alloc(16 * POOL_IDS);
let next = POOL_IDS;

/** 128 random bits, base64url: 22 characters, valid as one subject token. */
export function newIdentifier(): string {
  if (next === POOL_IDS) {
    randomFillSync(pool);
    next = 0;
  }
  const start = 16 * next++;
  return pool.toString("base64url", start, start + 16);
}

/** Enough of an identifier to correlate log lines, never enough to use it. */
export function shortId(id: string): string {
  return `${id.slice(0, 6)}…`;
}

/** `subject` with every identifier token shortened: a session's subject holds its capability. */
export function loggableSubject(subject: string): string {
  return redactIdentifiers(subject);
}
