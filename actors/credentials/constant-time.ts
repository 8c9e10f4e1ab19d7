/** Constant-time comparison of secrets of any length. */
import { createHash, timingSafeEqual } from "node:crypto";

/**
 * True when `a` equals `b`, in time independent of where they differ and of their lengths:
 * both are hashed to a fixed length first, since timingSafeEqual needs equal lengths and a
 * length check would leak the secret's length.
 */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const da = createHash("sha256").update(a).digest();
  const db = createHash("sha256").update(b).digest();
  return timingSafeEqual(da, db);
}
