/** `scram-sha-256` (RFC 5802/7677): the portal relays SCRAM messages; the checker holds the keys and does the math. */
import type { Credentials } from "../credentials/credentials.ts";
import { BadRequest, LoginFailed } from "../errors.ts";
import { asChallengeResponse, ChallengeResponse } from "./challenge-credentials.ts";
import { answerField } from "./cram-md5.ts";
import type { ChallengeMechanism, ChallengeStep, Issued } from "./mechanism.ts";
import { expectedWithoutProof, parseClientFinal, parseClientFirst, parseServerFirst } from "./scram-messages.ts";

export const SCRAM_SHA_256 = "scram-sha-256";

/**
 * A SCRAM answer: `challenge` is `client-first-message-bare,server-first-message` (the start of
 * the RFC 5802 AuthMessage) and `response` the client-final-message. The checker verifies it
 * with its StoredKey.
 */
export class ScramCredentials extends ChallengeResponse {
  static readonly kind = SCRAM_SHA_256;

  constructor(username: string, challenge: string, response: string) {
    super(SCRAM_SHA_256, username, challenge, response);
  }

  /** These credentials whether local or opaque from the wire; rejects with `BadRequest` when malformed. */
  static from(credentials: Credentials): ScramCredentials {
    return asChallengeResponse(credentials, SCRAM_SHA_256, ScramCredentials, (u, c, r) => new ScramCredentials(u, c, r));
  }
}

interface ScramState {
  readonly username: string;
  /** client-first-message-bare,server-first-message */
  readonly authPrefix: string;
  readonly withoutProof: string;
  /** The server-final-message, released only with a session. */
  readonly final: string;
}

export const scramSHA256Mechanism: ChallengeMechanism = {
  name: SCRAM_SHA_256,
  async issue(request, context): Promise<Issued> {
    const message = request["message"];
    if (typeof message !== "string" || message.length > 2048) throw new BadRequest("invalid message: expected a client-first-message");
    const first = parseClientFirst(message);
    // The checker makes server-first (it holds salt and iterations) and, since the AuthMessage
    // is then fixed, the server-final too (it holds ServerKey); see docs/challenges.md.
    const reply = await context.query({ mechanism: SCRAM_SHA_256, message });
    const serverFirst = reply["challenge"];
    const final = reply["final"];
    const parsed = typeof serverFirst === "string" ? parseServerFirst(serverFirst) : undefined;
    if (!parsed || !parsed.nonce.startsWith(first.clientNonce) || parsed.nonce === first.clientNonce || typeof final !== "string" || !final.startsWith("v=")) {
      throw new LoginFailed("the scram checker answered garbage");
    }
    const state: ScramState = {
      username: first.username,
      authPrefix: `${first.bare},${serverFirst}`,
      withoutProof: expectedWithoutProof(first.gs2Header, parsed.nonce),
      final,
    };
    return { challenge: serverFirst as string, state };
  },
  step(answer, issued): ChallengeStep {
    const state = issued.state as ScramState;
    const response = answerField(answer.body, "response", 2048);
    const parsed = parseClientFinal(response);
    if (!parsed) throw new BadRequest("invalid response: expected a client-final-message");
    const credentials = new ScramCredentials(state.username, state.authPrefix, response);
    // Another user than client-first named, or another nonce or binding than this server's,
    // is refused; it still uses up the challenge.
    const refuse = (answer.username !== undefined && answer.username !== state.username) || parsed.withoutProof !== state.withoutProof;
    return { type: "login", credentials, extra: { final: state.final }, refuse };
  },
};
