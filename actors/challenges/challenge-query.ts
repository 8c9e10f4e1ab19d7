/** Checkers that answer questions before the response (scram's server-first, ssh-key's key check). */
import type { Checker } from "../checkers/checker.ts";
import type { ChallengeQuery } from "./mechanism.ts";

/**
 * A checker a challenge mechanism must ask before the response can be checked: ScramChecker
 * makes scram's server-first message, SSHPublicKeyDatabase says whether a key is acceptable.
 * Served on `P.checker.NAME.challenge` by `serveChallengeChecker`.
 */
export interface ChallengeQueryChecker extends Checker {
  /**
   * Answers `query` (its `mechanism` says which question). Rejects with `BadRequest` when it is
   * malformed and `UnhandledCredentials` for a mechanism it does not handle.
   */
  answerChallengeQuery(query: ChallengeQuery): Promise<Record<string, unknown>> | Record<string, unknown>;
}

export function answersChallengeQueries(checker: Checker): checker is ChallengeQueryChecker {
  return typeof (checker as Partial<ChallengeQueryChecker>).answerChallengeQuery === "function";
}

/** `P.checker.NAME.challenge`, given `P.checker.NAME`. */
export function challengeQuerySubject(checkerSubject: string): string {
  return `${checkerSubject}.challenge`;
}
