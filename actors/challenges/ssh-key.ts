/** `ssh-key`: the client signs 32 random bytes with a key the user's authorized_keys lists (SSH's publickey method). */
import { randomBytes } from "node:crypto";
import type { Credentials, WireCredentials } from "../credentials/credentials.ts";
import { redacted } from "../credentials/credentials.ts";
import { BadRequest, UnhandledCredentials } from "../errors.ts";
import { wireString } from "./challenge-credentials.ts";
import { answerField, requireUsername } from "./cram-md5.ts";
import type { ChallengeMechanism, ChallengeStep } from "./mechanism.ts";
import { isSSHAlgorithm, isStrictBase64, MIN_RSA_BITS, parseSSHPublicKey, signatureLength, SSH_ALGORITHMS, type SSHAlgorithm } from "./ssh-wire.ts";

export const SSH_KEY = "ssh-key";

/**
 * An ssh-key answer: `{"kind": "ssh-key", "username", "challenge", "algorithm", "publicKey",
 * "signature"}` (base64 blob and base64 raw signature over the challenge's decoded bytes).
 */
export class SSHKeyCredentials implements Credentials {
  static readonly kind = SSH_KEY;
  readonly kinds: readonly string[] = [SSH_KEY];

  constructor(
    readonly username: string,
    readonly challenge: string,
    readonly algorithm: SSHAlgorithm,
    readonly publicKey: string,
    readonly signature: string,
  ) {}

  /** These credentials whether local or opaque from the wire; rejects with `BadRequest` when malformed. */
  static from(credentials: Credentials): SSHKeyCredentials {
    if (credentials instanceof SSHKeyCredentials) return credentials;
    const wire = credentials.toWire();
    if (wire.kind !== SSH_KEY) throw new UnhandledCredentials("credentials are not ssh-key");
    const algorithm = wire["algorithm"];
    if (!isSSHAlgorithm(algorithm)) throw new BadRequest("credentials.algorithm must be ssh-ed25519 or rsa-sha2-256");
    return new SSHKeyCredentials(
      wireString(wire, "username", 1024),
      wireString(wire, "challenge", 256),
      algorithm,
      base64Field(wireString(wire, "publicKey", 16384), "credentials.publicKey"),
      base64Field(wireString(wire, "signature", 4096), "credentials.signature"),
    );
  }

  toWire(): WireCredentials {
    const { username, challenge, algorithm, publicKey, signature } = this;
    return { kind: SSH_KEY, username, challenge, algorithm, publicKey, signature };
  }

  toJSON(): unknown {
    return redacted(SSH_KEY, { username: this.username, algorithm: this.algorithm });
  }
}

export const sshKeyMechanism: ChallengeMechanism = {
  name: SSH_KEY,
  issue() {
    return { challenge: randomBytes(32).toString("base64") };
  },
  step(answer, issued): ChallengeStep {
    const username = requireUsername(answer.username);
    const algorithm = answer.body["algorithm"];
    if (!isSSHAlgorithm(algorithm)) throw new BadRequest("invalid algorithm: expected ssh-ed25519 or rsa-sha2-256");
    // Checked before anything is asked: a malformed answer leaves the round open, as scram's does.
    // So does one that can never verify: a blob that is no key of the algorithm's type, a signature
    // of the wrong length (an outside probe's 10-byte signature used up the challenge, and counted
    // against the account as a wrong answer, where cram-md5's short hex got BadRequest).
    const publicKey = base64Field(answerField(answer.body, "publicKey", 16384), "publicKey");
    const key = parseSSHPublicKey(Buffer.from(publicKey, "base64"));
    if (key === undefined || key.type !== SSH_ALGORITHMS[algorithm]) {
      throw new BadRequest(`invalid publicKey: expected the wire blob of an ${SSH_ALGORITHMS[algorithm]} key${algorithm === "rsa-sha2-256" ? ` of at least ${MIN_RSA_BITS} bits` : ""}`);
    }
    if (answer.body["signature"] === undefined) {
      // SSH's query before signing: does this key open this account? The round stays open.
      return {
        type: "query",
        query: { mechanism: SSH_KEY, username, algorithm, publicKey },
        answer: (reply) => ({ keyAcceptable: reply["keyAcceptable"] === true }),
      };
    }
    const signature = base64Field(answerField(answer.body, "signature", 4096), "signature");
    const length = signatureLength(key);
    if (Buffer.from(signature, "base64").length !== length) throw new BadRequest(`invalid signature: a ${algorithm} signature by this key is ${length} bytes`);
    return { type: "login", credentials: new SSHKeyCredentials(username, issued.challenge, algorithm, publicKey, signature) };
  },
};

function base64Field(value: string, field: string): string {
  if (!isStrictBase64(value)) throw new BadRequest(`invalid ${field}: expected base64 (standard alphabet)`);
  return value;
}
