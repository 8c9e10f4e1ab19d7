/** SSH public key wire blobs (RFC 4253 §6.6) ⇄ node:crypto KeyObjects, for ssh-ed25519 and ssh-rsa. */
import { createPublicKey, type KeyObject } from "node:crypto";

/** The signature algorithms PROTOCOL.md accepts, and the key type each needs. */
export const SSH_ALGORITHMS = { "ssh-ed25519": "ssh-ed25519", "rsa-sha2-256": "ssh-rsa" } as const;
export type SSHAlgorithm = keyof typeof SSH_ALGORITHMS;

export function isSSHAlgorithm(value: unknown): value is SSHAlgorithm {
  return typeof value === "string" && Object.hasOwn(SSH_ALGORITHMS, value);
}

/** The smallest RSA modulus taken, in bits: OpenSSH's `RequiredRSASize` default. */
export const MIN_RSA_BITS = 1024;

/**
 * How long a signature by `key` is, in bytes: 64 for Ed25519, the modulus's length for RSA
 * (RFC 8332 pads it to that). Any other length can never verify.
 */
export function signatureLength(key: SSHPublicKey): number {
  return key.type === "ssh-ed25519" ? 64 : Math.ceil((key.key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
}

/** A public key read from its blob. */
export interface SSHPublicKey {
  readonly type: "ssh-ed25519" | "ssh-rsa";
  readonly blob: Buffer;
  readonly key: KeyObject;
}

function readStrings(blob: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < blob.length) {
    if (at + 4 > blob.length) throw new Error("truncated");
    const length = blob.readUInt32BE(at);
    if (at + 4 + length > blob.length) throw new Error("truncated");
    out.push(blob.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return out;
}

/** An mpint's magnitude without the sign padding, base64url for a JWK. */
function unsigned(mpint: Buffer): string {
  let at = 0;
  while (at < mpint.length - 1 && mpint[at] === 0) at++;
  return mpint.subarray(at).toString("base64url");
}

/** Reads a blob; undefined when malformed, of another key type, or an RSA key under `MIN_RSA_BITS`. */
export function parseSSHPublicKey(blob: Buffer): SSHPublicKey | undefined {
  try {
    const parts = readStrings(blob);
    const type = parts[0]?.toString("latin1");
    if (type === "ssh-ed25519" && parts.length === 2 && parts[1]!.length === 32) {
      const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: parts[1]!.toString("base64url") }, format: "jwk" });
      return { type, blob, key };
    }
    if (type === "ssh-rsa" && parts.length === 3) {
      const key = createPublicKey({ key: { kty: "RSA", e: unsigned(parts[1]!), n: unsigned(parts[2]!) }, format: "jwk" });
      // As OpenSSH's RequiredRSASize: a shorter modulus is factored cheaply (an outside probe logged in with a 512-bit key).
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return undefined;
      return { type, blob, key };
    }
  } catch {
    // Malformed blobs are simply not keys.
  }
  return undefined;
}

function sshString(data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  return Buffer.concat([length, data]);
}

function mpint(base64url: string): Buffer {
  const raw = Buffer.from(base64url, "base64url");
  // A set high bit would read as negative: pad with a zero byte.
  return sshString(raw[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), raw]) : raw);
}

/**
 * The wire blob of an Ed25519 or RSA public (or private) key. Rejects other key types with `TypeError`.
 * On Node 20, a KeyObject straight from `generateKeyPairSync` can deadlock its process here (its
 * JWK export and a garbage collection of the generating job take one mutex): generate keys
 * encoded and read them back (test/support/key-pairs.ts), or load them from files.
 */
export function sshPublicKeyBlob(key: KeyObject): Buffer {
  const jwk = key.export({ format: "jwk" });
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") {
    return Buffer.concat([sshString(Buffer.from("ssh-ed25519")), sshString(Buffer.from(jwk.x!, "base64url"))]);
  }
  if (jwk.kty === "RSA") return Buffer.concat([sshString(Buffer.from("ssh-rsa")), mpint(jwk.e!), mpint(jwk.n!)]);
  throw new TypeError("only Ed25519 and RSA keys are supported");
}

// Standard alphabet; the last group's padding may be left out (some clients strip it).
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/**
 * True for base64 text Node would decode without skipping anything. `Buffer.from(x, "base64")`
 * drops whatever is not in the alphabet, so without this check `!!!` inside a signature, or the
 * URL-safe alphabet, still logged in (an outside probe), where PROTOCOL.md asks for base64.
 */
export function isStrictBase64(text: string): boolean {
  return text.length > 0 && BASE64.test(text);
}
