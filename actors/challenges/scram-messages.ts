/** RFC 5802 SCRAM messages and key derivation for SCRAM-SHA-256 (RFC 7677), with node:crypto. */
import { createHash, createHmac, pbkdf2Sync, timingSafeEqual } from "node:crypto";
import { BadRequest } from "../errors.ts";

/** The keys a server stores for a user: never the password. */
export interface ScramKeys {
  /** base64 */
  readonly salt: string;
  readonly iterations: number;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

export const hmac = (key: Buffer, text: string): Buffer => createHmac("sha256", key).update(text, "utf8").digest();
export const sha256 = (data: Buffer): Buffer => createHash("sha256").update(data).digest();

/** SaltedPassword := Hi(password, salt, i); SASLprep is not applied (passwords are used as UTF-8). */
export function saltedPassword(password: string, saltBase64: string, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password, "utf8"), Buffer.from(saltBase64, "base64"), iterations, 32, "sha256");
}

/** StoredKey and ServerKey from a password. */
export function deriveScramKeys(password: string, saltBase64: string, iterations: number): ScramKeys {
  const salted = saltedPassword(password, saltBase64, iterations);
  return {
    salt: saltBase64,
    iterations,
    storedKey: sha256(hmac(salted, "Client Key")),
    serverKey: hmac(salted, "Server Key"),
  };
}

const B64 = "[A-Za-z0-9+/]+={0,2}";
const SCRAM_SECRET = new RegExp(`^SCRAM-SHA-256\\$(\\d{1,7}):(${B64})\\$(${B64}):(${B64})$`);

/** RFC 5803's form of stored SCRAM keys, as PostgreSQL writes them: `SCRAM-SHA-256$ITERATIONS:SALT$STOREDKEY:SERVERKEY`. */
export function formatScramSecret(keys: ScramKeys): string {
  return `SCRAM-SHA-256$${keys.iterations}:${keys.salt}$${keys.storedKey.toString("base64")}:${keys.serverKey.toString("base64")}`;
}

/** Reads RFC 5803's form; undefined unless it is exactly that, with 32-byte keys and at least one iteration. */
export function parseScramSecret(text: string): ScramKeys | undefined {
  const match = SCRAM_SECRET.exec(text);
  if (!match) return undefined;
  const iterations = Number(match[1]);
  const storedKey = Buffer.from(match[3]!, "base64");
  const serverKey = Buffer.from(match[4]!, "base64");
  if (iterations < 1 || storedKey.length !== 32 || serverKey.length !== 32 || Buffer.from(match[2]!, "base64").length === 0) return undefined;
  return { salt: match[2]!, iterations, storedKey, serverKey };
}

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** A printable nonce: RFC 5802 forbids `,` in it. */
const NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export interface ClientFirst {
  /** `n,,` or `y,,`: this server supports no channel binding. */
  readonly gs2Header: string;
  readonly bare: string;
  readonly username: string;
  readonly clientNonce: string;
}

/** Parses a client-first-message. Rejects with `BadRequest` (channel binding, authzid and extensions included). */
export function parseClientFirst(message: string): ClientFirst {
  const match = /^([ny]),,(n=([^,]*),r=([^,]*))$/.exec(message);
  if (!match) throw new BadRequest("invalid message: not a SCRAM client-first-message this server supports");
  const username = decodeSaslName(match[3]!);
  const clientNonce = match[4]!;
  if (username.length === 0 || username.length > 1024 || !NONCE.test(clientNonce) || clientNonce.length > 256) {
    throw new BadRequest("invalid message: bad username or nonce");
  }
  return { gs2Header: `${match[1]},,`, bare: match[2]!, username, clientNonce };
}

/** `=2C` → `,` and `=3D` → `=`; any other `=` is malformed, and so is NUL (RFC 5802's value-safe-char starts at %x01). */
export function decodeSaslName(name: string): string {
  if (/=(?!2C|3D)|\0/.test(name)) throw new BadRequest("invalid message: malformed saslname");
  return name.replace(/=2C/g, ",").replace(/=3D/g, "=");
}

export function encodeSaslName(name: string): string {
  return name.replace(/=/g, "=3D").replace(/,/g, "=2C");
}

export interface ServerFirst {
  readonly nonce: string;
  readonly salt: string;
  readonly iterations: number;
}

/** Parses a server-first-message; undefined when malformed. */
export function parseServerFirst(message: string): ServerFirst | undefined {
  const match = /^r=([^,]+),s=([^,]+),i=([1-9][0-9]{0,8})$/.exec(message);
  if (!match || !NONCE.test(match[1]!) || !BASE64.test(match[2]!)) return undefined;
  return { nonce: match[1]!, salt: match[2]!, iterations: Number(match[3]) };
}

export interface ClientFinal {
  /** `c=…,r=…`: the part of the AuthMessage the client sends. */
  readonly withoutProof: string;
  readonly nonce: string;
  readonly channelBinding: string;
  readonly proof: Buffer;
}

/** Parses a client-final-message; undefined when malformed. */
export function parseClientFinal(message: string): ClientFinal | undefined {
  const match = /^(c=([A-Za-z0-9+/]+={0,2}),r=([^,]+)),p=([A-Za-z0-9+/]+={0,2})$/.exec(message);
  if (!match) return undefined;
  const proof = Buffer.from(match[4]!, "base64");
  if (proof.length !== 32) return undefined;
  return { withoutProof: match[1]!, channelBinding: match[2]!, nonce: match[3]!, proof };
}

/** The client-final-message-without-proof a client must send after `clientFirst` and a nonce. */
export function expectedWithoutProof(gs2Header: string, nonce: string): string {
  return `c=${Buffer.from(gs2Header, "utf8").toString("base64")},r=${nonce}`;
}

/** True when `proof` proves knowledge of the ClientKey behind `storedKey` for `authMessage`; constant time. */
export function verifyClientProof(storedKey: Buffer, authMessage: string, proof: Buffer): boolean {
  const clientKey = xor(proof, hmac(storedKey, authMessage));
  return proof.length === storedKey.length && timingSafeEqual(sha256(clientKey), storedKey);
}

/** `v=base64(ServerSignature)`. */
export function serverFinal(serverKey: Buffer, authMessage: string): string {
  return `v=${hmac(serverKey, authMessage).toString("base64")}`;
}
