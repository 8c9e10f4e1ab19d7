/** Constant-time comparison of secrets of any length. */
import { hash, timingSafeEqual } from "node:crypto";

/** Secrets up to this many bytes are compared padded to it; longer ones through SHA-256. */
const PADDED_BYTES = 256;
// Four bytes of length, then the secret, zero-padded: two secrets compare equal only with equal
// lengths, and "abc" never equals "abc\0". Reused: the comparison is synchronous.
const left = Buffer.alloc(4 + PADDED_BYTES);
const right = Buffer.alloc(4 + PADDED_BYTES);

/**
 * True when `a` equals `b`, in time independent of where they differ. timingSafeEqual needs
 * equal lengths, and a length check would leak the secret's length, so both are padded to one
 * fixed size first (a password, a digest) or, past 256 bytes, hashed to one. Either way the time
 * depends on the lengths only through reading the two inputs, as any hash of them would.
 * (Padding, not hashing, for the short ones: two SHA-256 runs were ~2 µs of every password login.)
 */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const aBytes = byteLength(a);
  const bBytes = byteLength(b);
  if (aBytes > PADDED_BYTES || bBytes > PADDED_BYTES) {
    return timingSafeEqual(hash("sha256", a, "buffer"), hash("sha256", b, "buffer"));
  }
  padInto(left, a, aBytes);
  padInto(right, b, bBytes);
  return timingSafeEqual(left, right);
}

function byteLength(value: string | Uint8Array): number {
  return typeof value === "string" ? Buffer.byteLength(value, "utf8") : value.byteLength;
}

function padInto(buffer: Buffer, value: string | Uint8Array, bytes: number): void {
  buffer.fill(0);
  buffer.writeUInt32BE(bytes, 0);
  if (typeof value === "string") buffer.write(value, 4, "utf8");
  else buffer.set(value, 4);
}
