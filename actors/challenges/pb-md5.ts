/** `pb-md5`: Twisted Perspective Broker's `pb.respond`, MD5(MD5(password) ‖ challenge), in hex. */
import { createHash, randomBytes } from "node:crypto";
import type { Credentials } from "../credentials/credentials.ts";
import { UsernameHashedPassword } from "../credentials/username-hashed-password.ts";
import { asChallengeResponse, ChallengeResponse } from "./challenge-credentials.ts";
import { equalHex, md5HexField, requireUsername } from "./cram-md5.ts";
import type { ChallengeMechanism, ChallengeStep } from "./mechanism.ts";

export const PB_MD5 = "pb-md5";

/**
 * What pb-md5 answers are checked as: their own kind, then `username-hashed-password`, as PB's
 * `_PortalAuthChallenger` implements `IUsernameHashedPassword`.
 */
export const PB_MD5_KINDS: readonly string[] = Object.freeze([PB_MD5, UsernameHashedPassword.kind]);

/** A pb-md5 challenge: 16 bytes as 32 lowercase hex characters, as a portal issues them. */
const CHALLENGE = /^[0-9a-f]{32}$/;

/**
 * `pb.respond(challenge, password)` in hex: the inner MD5 is the raw 16-byte digest and the
 * challenge is the decoded bytes of its hex text. Throws `TypeError` for a challenge that is not
 * 32 lowercase hex characters (Buffer.from would silently decode garbage to fewer bytes).
 */
export function pbMD5Response(password: string, challengeHex: string): string {
  if (!CHALLENGE.test(challengeHex)) throw new TypeError("a pb-md5 challenge is 32 lowercase hex characters");
  const inner = createHash("md5").update(password, "utf8").digest();
  return createHash("md5").update(inner).update(Buffer.from(challengeHex, "hex")).digest("hex");
}

/** A pb-md5 answer; a checker that holds the password calls `checkPassword`. */
export class PBMD5Credentials extends ChallengeResponse {
  static readonly kind = PB_MD5;
  override readonly kinds: readonly string[] = PB_MD5_KINDS;

  constructor(username: string, challenge: string, response: string) {
    super(PB_MD5, username, challenge, response);
  }

  /** These credentials whether local or opaque from the wire; rejects with `BadRequest` when malformed. */
  static from(credentials: Credentials): PBMD5Credentials {
    return asChallengeResponse(credentials, PB_MD5, PBMD5Credentials, (u, c, r) => new PBMD5Credentials(u, c, r));
  }

  /** True when the response is `pb.respond(challenge, password)` in lowercase hex, exactly; constant time. */
  checkPassword(password: string): boolean {
    // A challenge that is not 16 bytes of hex was not made by a portal: never accept it.
    if (!CHALLENGE.test(this.challenge)) return false;
    return equalHex(pbMD5Response(password, this.challenge), this.response);
  }
}

export const pbMD5Mechanism: ChallengeMechanism = {
  name: PB_MD5,
  issue() {
    return { challenge: randomBytes(16).toString("hex") };
  },
  step(answer, issued): ChallengeStep {
    const username = requireUsername(answer.username);
    const response = md5HexField(answer.body);
    return { type: "login", credentials: new PBMD5Credentials(username, issued.challenge, response) };
  },
};
