/**
 * Key pairs for tests, made so that exporting them cannot deadlock Node 20.
 *
 * A KeyObject returned by `generateKeyPairSync` shares a mutex with the key-generation job that
 * made it; exporting it as JWK holds that mutex while allocating, and a garbage collection then
 * finalizing the job takes the same mutex: the process hangs for good (seen here as a vitest worker
 * stuck in `ExportJWKEdKey` → GC → `~KeyGenJob`, and reproduced in a loop of generate-and-export
 * within seconds). The keys are generated already encoded and read back, so no KeyObject shares
 * anything with a job.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export function newKeyPair(type: "ed25519"): KeyPair;
export function newKeyPair(type: "rsa", options: { modulusLength: number }): KeyPair;
export function newKeyPair(type: "ed25519" | "rsa", options: { modulusLength?: number } = {}): KeyPair {
  const encoded = generateKeyPairSync(type as "rsa", {
    modulusLength: options.modulusLength ?? 2048,
    publicKeyEncoding: { type: "spki", format: "der" },
    privateKeyEncoding: { type: "pkcs8", format: "der" },
  });
  return {
    privateKey: createPrivateKey({ key: encoded.privateKey, format: "der", type: "pkcs8" }),
    publicKey: createPublicKey({ key: encoded.publicKey, format: "der", type: "spki" }),
  };
}
