/**
 * Private keys in OpenSSH's own file format (`-----BEGIN OPENSSH PRIVATE KEY-----`, what
 * `ssh-keygen` writes, and the only format it writes Ed25519 keys in), which node:crypto does
 * not read. Only unencrypted Ed25519 and RSA keys; the fields are those of OpenSSH's PROTOCOL.key.
 */
import { createPrivateKey, type KeyObject } from "node:crypto";

const BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----";
const END = "-----END OPENSSH PRIVATE KEY-----";
const MAGIC = "openssh-key-v1\0";

/** Whether `text` is an OpenSSH-format private key file. */
export function isOpenSSHPrivateKey(text: string): boolean {
  return text.trimStart().startsWith(BEGIN);
}

/** A KeyObject from an OpenSSH private key file; `TypeError` for encrypted, malformed or other keys. */
export function readOpenSSHPrivateKey(text: string): KeyObject {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new TypeError("not an OpenSSH private key");
  const data = Buffer.from(text.slice(start + BEGIN.length, end).replace(/\s+/g, ""), "base64");
  const reader = new Reader(data);
  if (reader.bytes(MAGIC.length).toString("latin1") !== MAGIC) throw new TypeError("not an OpenSSH private key");
  const cipher = reader.string().toString("latin1");
  reader.string(); // kdf name
  reader.string(); // kdf options
  if (cipher !== "none") throw new TypeError("the OpenSSH private key is encrypted: pass a decrypted KeyObject instead");
  if (reader.uint32() !== 1) throw new TypeError("an OpenSSH key file with several keys is not supported");
  reader.string(); // the public key, repeated below
  const secret = new Reader(reader.string());
  if (secret.uint32() !== secret.uint32()) throw new TypeError("malformed OpenSSH private key");
  const type = secret.string().toString("latin1");
  if (type === "ssh-ed25519") {
    const publicKey = secret.string();
    const privateKey = secret.string(); // seed ‖ public key
    if (publicKey.length !== 32 || privateKey.length !== 64) throw new TypeError("malformed OpenSSH Ed25519 key");
    const jwk = { kty: "OKP", crv: "Ed25519", x: publicKey.toString("base64url"), d: privateKey.subarray(0, 32).toString("base64url") };
    return createPrivateKey({ key: jwk, format: "jwk" });
  }
  if (type === "ssh-rsa") {
    const [n, e, d, iqmp, p, q] = [secret.mpint(), secret.mpint(), secret.mpint(), secret.mpint(), secret.mpint(), secret.mpint()];
    const jwk = {
      kty: "RSA",
      n: b64url(n),
      e: b64url(e),
      d: b64url(d),
      p: b64url(p),
      q: b64url(q),
      dp: b64url(d % (p - 1n)),
      dq: b64url(d % (q - 1n)),
      qi: b64url(iqmp),
    };
    return createPrivateKey({ key: jwk, format: "jwk" });
  }
  throw new TypeError(`OpenSSH keys of type ${type} are not supported (only ssh-ed25519 and ssh-rsa)`);
}

function b64url(value: bigint): string {
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, "hex").toString("base64url");
}

class Reader {
  #at = 0;
  constructor(private readonly data: Buffer) {}

  bytes(length: number): Buffer {
    if (this.#at + length > this.data.length) throw new TypeError("malformed OpenSSH private key");
    const out = this.data.subarray(this.#at, this.#at + length);
    this.#at += length;
    return out;
  }

  uint32(): number {
    return this.bytes(4).readUInt32BE(0);
  }

  string(): Buffer {
    return this.bytes(this.uint32());
  }

  mpint(): bigint {
    const raw = this.string();
    return raw.length === 0 ? 0n : BigInt(`0x${raw.toString("hex")}`);
  }
}
