/** Serves a checker whose mechanism needs questions answered first (kept for callers; `serveChecker` now does it). */
import type { Bus } from "../../transports/bus.ts";
import { serveChecker, type CheckerService, type ServeCheckerOptions } from "../services/serve-checker.ts";
import { answersChallengeQueries, type ChallengeQueryChecker } from "./challenge-query.ts";

/**
 * `serveChecker`, which also serves `P.checker.NAME.challenge` for checkers that answer challenge
 * queries. Rejects a checker that answers none with `TypeError`.
 */
export async function serveChallengeChecker(bus: Bus, checker: ChallengeQueryChecker, options: ServeCheckerOptions): Promise<CheckerService> {
  if (!answersChallengeQueries(checker)) throw new TypeError("the checker answers no challenge queries; use serveChecker");
  return serveChecker(bus, checker, options);
}
