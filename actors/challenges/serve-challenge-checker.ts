/** Serves a checker whose mechanism needs questions answered first: `serveChecker` plus `P.checker.NAME.challenge`. */
import type { Bus } from "../../transports/bus.ts";
import { LoginFailed } from "../errors.ts";
import { silentLogger } from "../logger.ts";
import { serveChecker, type CheckerService, type ServeCheckerOptions } from "../services/serve-checker.ts";
import { serveRequests } from "../services/responder.ts";
import { okReply } from "../wire/codec.ts";
import { subjectsFor } from "../wire/subjects.ts";
import { answersChallengeQueries, challengeQuerySubject, type ChallengeQueryChecker } from "./challenge-query.ts";
import { challengeRequest, parse } from "./schemas.ts";

/**
 * Serves `checker` like `serveChecker`, and its challenge queries on `P.checker.NAME.challenge`
 * in queue group `P.checker.NAME`: request `{"mechanism": M, ...}`, reply `{"ok": true, ...}`
 * (docs/challenges.md). Rejects a checker that answers no queries with `TypeError`.
 */
export async function serveChallengeChecker(bus: Bus, checker: ChallengeQueryChecker, options: ServeCheckerOptions): Promise<CheckerService> {
  if (!answersChallengeQueries(checker)) throw new TypeError("the checker answers no challenge queries; use serveChecker");
  const subject = subjectsFor(options.prefix).checker(options.name);
  const logger = (options.logger ?? silentLogger).child({ checker: options.name });
  // Subscribed before the announcement goes out, so no portal can ask too early.
  const queries = serveRequests(
    bus,
    challengeQuerySubject(subject),
    async (body) => okReply(await checker.answerChallengeQuery(parse(challengeRequest, body))),
    { queue: subject, logger, fallback: () => new LoginFailed() },
  );
  const service = await serveChecker(bus, checker, options);
  return {
    name: service.name,
    kinds: service.kinds,
    stop: async () => {
      queries.unsubscribe();
      await service.stop();
    },
  };
}
