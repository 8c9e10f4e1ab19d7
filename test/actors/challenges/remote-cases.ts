/**
 * scram-sha-256 and ssh-key for the challenge suite: checkers served as NATS services (the
 * portal reaches them over the bus) and clients computing answers with node:crypto alone.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, sign, timingSafeEqual, type KeyObject } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { ScramChecker } from "../../../actors/checkers/scram.ts";
import { SSHPublicKeyDatabase } from "../../../actors/checkers/ssh-keys.ts";
import { serveChallengeChecker } from "../../../actors/challenges/serve-challenge-checker.ts";
import { PASSWORDS, type MechanismCase, type StartCheckers } from "./challenge.contract.ts";
import { newKeyPair } from "../../support/key-pairs.ts";

const b64 = (data: Buffer) => data.toString("base64");
const hmac = (key: Buffer, text: string) => createHmac("sha256", key).update(text).digest();
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest();

/** A SCRAM-SHA-256 client from RFC 5802 §3, as a client in any language would write it. */
function scramCase(): MechanismCase {
  const conversations = new Map<string, { bare: string; nonce: string; expected?: string }>();
  return {
    mechanism: "scram-sha-256",
    start: (username) => {
      const nonce = randomBytes(18).toString("base64");
      const bare = `n=${username},r=${nonce}`;
      conversations.set(username, { bare, nonce });
      return { message: `n,,${bare}` };
    },
    answer: (username, secret, serverFirst) => {
      const conversation = conversations.get(username)!;
      const [, nonce, salt, iterations] = /^r=([^,]+),s=([^,]+),i=(\d+)$/.exec(serverFirst)!;
      expect(nonce!.startsWith(conversation.nonce)).toBe(true);
      const password = secret === "good" ? PASSWORDS[username as "alice"] ?? "anything" : "wrong";
      const salted = pbkdf2Sync(password, Buffer.from(salt!, "base64"), Number(iterations), 32, "sha256");
      const clientKey = hmac(salted, "Client Key");
      const withoutProof = `c=biws,r=${nonce}`;
      const authMessage = `${conversation.bare},${serverFirst},${withoutProof}`;
      const signature = hmac(sha256(clientKey), authMessage);
      const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]!));
      conversation.expected = `v=${b64(hmac(hmac(salted, "Server Key"), authMessage))}`;
      return { username, response: `${withoutProof},p=${b64(proof)}` };
    },
    verify: (reply) => {
      // The client authenticates the server: server-final must be what the password predicts.
      const expected = conversations.get("alice")!.expected!;
      expect(typeof reply["final"]).toBe("string");
      expect(timingSafeEqual(Buffer.from(reply["final"] as string), Buffer.from(expected))).toBe(true);
    },
    secrets: [],
  };
}

/** The SSH wire blob (RFC 4253 §6.6) built by hand from a JWK. */
function sshBlob(key: KeyObject): Buffer {
  const string = (data: Buffer) => Buffer.concat([Buffer.from([0, 0, data.length >> 8, data.length & 255]), data]);
  const mpint = (value: string) => {
    const raw = Buffer.from(value, "base64url");
    return string(raw[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), raw]) : raw);
  };
  const jwk = key.export({ format: "jwk" });
  return jwk.kty === "OKP"
    ? Buffer.concat([string(Buffer.from("ssh-ed25519")), string(Buffer.from(jwk.x!, "base64url"))])
    : Buffer.concat([string(Buffer.from("ssh-rsa")), mpint(jwk.e!), mpint(jwk.n!)]);
}

function sshCase(user: string, pair: { publicKey: KeyObject; privateKey: KeyObject }, impostor: KeyObject): MechanismCase {
  const rsa = pair.publicKey.asymmetricKeyType === "rsa";
  return {
    mechanism: "ssh-key",
    user,
    start: () => ({}),
    answer: (username, secret, challenge) => {
      const bytes = Buffer.from(challenge, "base64");
      expect(bytes).toHaveLength(32);
      const signer = secret === "good" ? pair.privateKey : impostor;
      return {
        username,
        algorithm: rsa ? "rsa-sha2-256" : "ssh-ed25519",
        publicKey: b64(sshBlob(pair.publicKey)),
        signature: b64(sign(rsa ? "sha256" : null, bytes, signer)),
      };
    },
    secrets: [pair.privateKey.export({ format: "pem", type: "pkcs8" }).toString().split("\n")[1]!],
    // Node's base64 decoder skips what is not base64: each of these once decoded to the good answer.
    malformed: (good) => {
      const signature = good["signature"] as string;
      const publicKey = good["publicKey"] as string;
      return [
        { ...good, signature: `${signature.slice(0, 8)}!!!${signature.slice(8)}` },
        // A character of the URL-safe alphabet (a signature's base64url need not hold one).
        { ...good, signature: `-${signature.slice(1)}` },
        { ...good, publicKey: `%%%%${publicKey}` },
        // Base64, but never a signature of this key (an outside probe's 10-byte one used up the
        // challenge and counted as a wrong answer), nor a key of the algorithm's type.
        { ...good, signature: b64(Buffer.alloc(10, 1)) },
        { ...good, signature: b64(Buffer.concat([Buffer.from(signature, "base64"), Buffer.from([0])])) },
        { ...good, publicKey: b64(Buffer.from(publicKey, "base64").subarray(0, 20)) },
        { ...good, publicKey: "AAAA" },
        { ...good, algorithm: rsa ? "ssh-ed25519" : "rsa-sha2-256" },
      ];
    },
  };
}

/** The cases, the checkers to serve for them, and a cleanup for their files. */
export function remoteCases(): { cases: MechanismCase[]; startCheckers: StartCheckers; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "portcullis-ssh-"));
  const alice = newKeyPair("ed25519");
  const bob = newKeyPair("rsa", { modulusLength: 2048 });
  // Same key types, not listed anywhere: their signatures are well formed and wrong.
  const impostor = newKeyPair("ed25519").privateKey;
  const rsaImpostor = newKeyPair("rsa", { modulusLength: 2048 }).privateKey;
  const line = (key: KeyObject, comment: string) => `${sshBlob(key).subarray(4, 4 + sshBlob(key).readUInt32BE(0)).toString()} ${b64(sshBlob(key))} ${comment}`;
  writeFileSync(join(dir, "alice"), `# alice's keys\n\n${line(alice.publicKey, "alice@laptop")}\nssh-ed25519 !!!not-base64 broken\n`);
  writeFileSync(join(dir, "bob"), `no-pty ${line(bob.publicKey, "bob@desk")}\n`);
  const startCheckers: StartCheckers = async (bus, logger, prefix) => {
    const scram = new ScramChecker();
    for (const [user, password] of Object.entries(PASSWORDS)) scram.addUser(user, password);
    const ssh = new SSHPublicKeyDatabase({ alice: join(dir, "alice"), bob: join(dir, "bob") }, { logger });
    return [
      await serveChallengeChecker(bus, scram, { name: "scram", prefix, logger }),
      await serveChallengeChecker(bus, ssh, { name: "sshkeys", prefix, logger }),
    ];
  };
  return {
    cases: [scramCase(), sshCase("alice", alice, impostor), sshCase("bob", bob, rsaImpostor)],
    startCheckers,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
