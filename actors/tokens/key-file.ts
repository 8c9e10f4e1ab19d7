/** Token keys read from files: for the `token` auth type (verify) and `portcullis serve|portal --tokens` (sign and verify). */
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { silentLogger, type Logger } from "../logger.ts";
import { TokenAuthority } from "./token-authority.ts";

/** What a key file could not give: a message fit for a usage error (never the key itself). */
export class KeyFileError extends Error {
  override readonly name = "KeyFileError";
}

/**
 * A token authority from `HS256:PATH` or `EdDSA:PATH`. HS256: PATH holds the shared secret, at
 * least 32 bytes; a text secret's one trailing newline is ignored (`openssl rand -base64 48 > key`
 * writes one), a binary secret is used byte for byte.
 * A key (PEM, OpenSSH, an authorized_keys line) given as an HS256 secret is refused.
 * EdDSA: to `sign`, PATH holds the Ed25519 private key (PEM, PKCS#8), the public key is derived
 * from it; to `verify` only, the public key (PEM, SPKI) or, with a warning on `logger`, the
 * private key.
 */
export async function tokenAuthorityFromFile(spec: string, use: "sign" | "verify", options: { logger?: Logger } = {}): Promise<TokenAuthority> {
  const at = spec.indexOf(":");
  const algorithm = spec.slice(0, at);
  const path = spec.slice(at + 1);
  if (at < 0 || path === "" || (algorithm !== "HS256" && algorithm !== "EdDSA")) {
    throw new KeyFileError("expected HS256:PATH or EdDSA:PATH");
  }
  let contents: Buffer;
  try {
    contents = await readFile(path);
  } catch (error) {
    throw new KeyFileError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
  if (algorithm === "HS256") {
    // Any key would "work" as an HMAC secret, and anyone holding its public half could then sign.
    if (looksLikeKey(contents)) throw new KeyFileError(`${path} holds a key, not an HS256 secret: use EdDSA:${path} for Ed25519 keys, or a random secret (openssl rand -base64 48)`);
    const secret = new Uint8Array(withoutTrailingNewline(contents));
    if (secret.byteLength < 32) throw new KeyFileError("an HS256 secret must be at least 32 bytes");
    return new TokenAuthority({ algorithm, verifyingKey: secret, ...(use === "sign" && { signingKey: secret }) });
  }
  const pem = contents.toString("utf8");
  const privateKey = ed25519(() => createPrivateKey(pem));
  if (use === "sign") {
    if (privateKey === undefined) throw new KeyFileError(`${path} holds no Ed25519 private key (PEM, PKCS#8)`);
    return new TokenAuthority({ algorithm, signingKey: privateKey, verifyingKey: createPublicKey(privateKey) });
  }
  if (privateKey) {
    // Accepted, as before; but a verifier holding the signing key can mint tokens if it is compromised.
    (options.logger ?? silentLogger).warn(
      { file: path },
      "this token key file holds the Ed25519 private key: this process can sign tokens, not only verify them; give it the public key instead (openssl pkey -in KEY -pubout -out PUBLIC.pem)",
    );
  }
  const publicKey = privateKey ? createPublicKey(privateKey) : ed25519(() => createPublicKey(pem));
  if (publicKey === undefined) throw new KeyFileError(`${path} holds no Ed25519 public key (PEM, SPKI)`);
  return new TokenAuthority({ algorithm, verifyingKey: publicKey });
}

function ed25519(read: () => KeyObject): KeyObject | undefined {
  try {
    const key = read();
    return key.asymmetricKeyType === "ed25519" ? key : undefined;
  } catch {
    return undefined;
  }
}

/** A PEM block (any `-----BEGIN`, OpenSSH private keys included) or a public key line (`ssh-ed25519 AAAA…`), anywhere. */
function looksLikeKey(bytes: Buffer): boolean {
  // Anywhere in the file: `openssl pkcs12 -nodes` writes "Bag Attributes" before the PEM, and an
  // authorized_keys file may open with comments.
  const text = bytes.toString("latin1");
  return text.includes("-----BEGIN ") || /^\s*(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9-]+@openssh\.com)\s+AAAA/m.test(text);
}

/** A text secret (printable ASCII: base64, hex) less one trailing newline; binary secrets as they are. */
function withoutTrailingNewline(bytes: Buffer): Buffer {
  let end = bytes.byteLength;
  if (end > 0 && bytes[end - 1] === 0x0a) end--;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  const text = bytes.subarray(0, end);
  // A random binary secret may end in 0x0a by chance: that byte is part of it.
  return text.every((byte) => byte >= 0x20 && byte < 0x7f) ? text : bytes;
}
