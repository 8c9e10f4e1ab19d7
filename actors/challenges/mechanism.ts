/** What a challenge mechanism is: how it makes a challenge, and how it reads an answer to it. */
import type { Credentials } from "../credentials/credentials.ts";

/** A mechanism-specific question for the checker (PROTOCOL addition: `P.checker.NAME.challenge`). */
export type ChallengeQuery = Readonly<Record<string, unknown>> & { readonly mechanism: string };

/** What `issue` may use. */
export interface IssueContext {
  /** This portal's host name, for challenges that name it (cram-md5). */
  readonly host: string;
  /** Asks the checker that handles this mechanism; rejects with its error or `LoginFailed`. */
  query(query: ChallengeQuery): Promise<Record<string, unknown>>;
}

/** A challenge made: the text the client sees, and what the mechanism keeps for itself. */
export interface Issued {
  readonly challenge: string;
  readonly state?: unknown;
}

/** The `P.challenge.ID` fields every mechanism shares. */
export interface ChallengeAnswer {
  readonly username?: string | undefined;
  readonly body: Record<string, unknown>;
}

/**
 * What an answer on `P.challenge.ID` is: a response to verify by logging in (`refuse` when the
 * mechanism already knows it is wrong: it still counts as the round's one response), or a
 * question that leaves the round open (ssh-key without a signature).
 */
export type ChallengeStep =
  | {
      readonly type: "login";
      readonly credentials: Credentials;
      /** Fields added to a successful login reply (scram-sha-256's `final`). */
      readonly extra?: Record<string, unknown>;
      readonly refuse?: boolean;
    }
  | {
      readonly type: "query";
      readonly query: ChallengeQuery;
      readonly answer: (reply: Record<string, unknown>) => Record<string, unknown>;
    };

/** One mechanism of PROTOCOL.md's challenge table. */
export interface ChallengeMechanism {
  /** The mechanism name, which is also the credentials kind its checker handles. */
  readonly name: string;
  /** Makes a challenge for a `P.challenge` request; rejects with `BadRequest` when it is malformed. */
  issue(request: Record<string, unknown>, context: IssueContext): Promise<Issued> | Issued;
  /** Reads an answer; rejects with `BadRequest` when malformed (the round stays open). */
  step(answer: ChallengeAnswer, issued: Issued): ChallengeStep;
}
