/** The client's half of each challenge mechanism: answers computed from a password or a private key. */
import { createPrivateKey, createPublicKey, randomBytes, sign, timingSafeEqual, type KeyObject } from "node:crypto";
import { cramMD5Response } from "../challenges/cram-md5.ts";
import { pbMD5Response } from "../challenges/pb-md5.ts";
import { encodeSaslName, hmac, parseServerFirst, saltedPassword, sha256, xor } from "../challenges/scram-messages.ts";
import { sshPublicKeyBlob, type SSHAlgorithm } from "../challenges/ssh-wire.ts";
import { LoginFailed } from "../errors.ts";
import { isOpenSSHPrivateKey, readOpenSSHPrivateKey } from "./openssh-private-key.ts";

export { cramMD5Response, pbMD5Response };

/** A SCRAM-SHA-256 client conversation (RFC 5802 §3), without channel binding. */
export interface ScramClient {
  /** The client-first-message. */
  readonly first: string;
  /** The client-final-message for `serverFirst`; rejects with `LoginFailed` when it is malformed or not ours. */
  final(serverFirst: string): string;
  /** True when `serverFinal` proves the server knows this user's keys. */
  verifyServer(serverFinal: string): boolean;
}

/** Starts a SCRAM-SHA-256 conversation; `nonce` is random unless given (tests). */
export function scramClient(username: string, password: string, nonce = randomBytes(18).toString("base64")): ScramClient {
  const bare = `n=${encodeSaslName(username)},r=${nonce}`;
  let expected: Buffer | undefined;
  return {
    first: `n,,${bare}`,
    final(serverFirst) {
      const server = parseServerFirst(serverFirst);
      if (!server || !server.nonce.startsWith(nonce) || server.nonce === nonce) throw new LoginFailed("malformed server-first-message");
      const salted = saltedPassword(password, server.salt, server.iterations);
      const clientKey = hmac(salted, "Client Key");
      const withoutProof = `c=biws,r=${server.nonce}`;
      const authMessage = `${bare},${serverFirst},${withoutProof}`;
      expected = hmac(hmac(salted, "Server Key"), authMessage);
      const proof = xor(clientKey, hmac(sha256(clientKey), authMessage));
      return `${withoutProof},p=${proof.toString("base64")}`;
    },
    verifyServer(serverFinal) {
      if (!expected || !serverFinal.startsWith("v=")) return false;
      const presented = Buffer.from(serverFinal.slice(2), "base64");
      return presented.length === expected.length && timingSafeEqual(presented, expected);
    },
  };
}

/** An ssh-key signer: the request fields and a signature over a challenge. */
export interface SSHKeySigner {
  readonly algorithm: SSHAlgorithm;
  /** base64 wire blob, as in authorized_keys. */
  readonly publicKey: string;
  /** base64 raw signature over the challenge's decoded bytes. */
  sign(challenge: string): string;
}

/**
 * From an Ed25519 or RSA private key: a KeyObject, PEM (PKCS#8, PKCS#1), or the text of an
 * unencrypted OpenSSH key file as `ssh-keygen` writes it. Rejects other key types with `TypeError`.
 */
export function sshKeySigner(privateKey: KeyObject | string): SSHKeySigner {
  const key =
    typeof privateKey !== "string" ? privateKey : isOpenSSHPrivateKey(privateKey) ? readOpenSSHPrivateKey(privateKey) : createPrivateKey(privateKey);
  const type = key.asymmetricKeyType;
  if (type !== "ed25519" && type !== "rsa") throw new TypeError("only Ed25519 and RSA keys are supported");
  const algorithm: SSHAlgorithm = type === "ed25519" ? "ssh-ed25519" : "rsa-sha2-256";
  return {
    algorithm,
    publicKey: sshPublicKeyBlob(createPublicKey(key)).toString("base64"),
    sign: (challenge) => sign(type === "ed25519" ? null : "sha256", Buffer.from(challenge, "base64"), key).toString("base64"),
  };
}
