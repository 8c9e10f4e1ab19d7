/** Hosts a checker as a NATS service: `P.checker.NAME`, announced, discoverable, withdrawn on stop. */
import type { Bus, BusSubscription } from "../../transports/bus.ts";
import { ANONYMOUS, type Checker } from "../checkers/checker.ts";
import { credentialsFromWire } from "../credentials/from-wire.ts";
import { LoginFailed, UnhandledCredentials } from "../errors.ts";
import { silentLogger, type Logger } from "../logger.ts";
import { decodeObject, encode, okReply } from "../wire/codec.ts";
import { checkerRequest, parse } from "../wire/schemas.ts";
import { newIdentifier } from "../wire/identifiers.ts";
import { subjectsFor } from "../wire/subjects.ts";
import { serveRequests } from "./responder.ts";
import { followRevocations } from "../tokens/revocation-feed.ts";
import { revocationListsOf } from "../tokens/token-checker.ts";
import { answersChallengeQueries, challengeQuerySubject } from "../challenges/challenge-query.ts";
import { challengeRequest, parse as parseChallenge } from "../challenges/schemas.ts";
import { refuseRepliesOnOwnSubjects } from "./own-subject-replies.ts";

export interface ServeCheckerOptions {
  /** The service name (`P.checker.NAME`); one token of letters, digits, `-` and `_`. */
  readonly name: string;
  readonly prefix?: string;
  readonly logger?: Logger;
}

export interface CheckerService {
  readonly name: string;
  readonly kinds: readonly string[];
  /** Withdraws the checker and stops serving it; in-flight checks still get their answer. */
  stop(): Promise<void>;
}

/** Serves `checker` until `stop()`. Rejects a name that is not a valid subject token. */
export async function serveChecker(bus: Bus, checker: Checker, options: ServeCheckerOptions): Promise<CheckerService> {
  const subjects = subjectsFor(options.prefix);
  refuseRepliesOnOwnSubjects(bus, subjects);
  const logger = (options.logger ?? silentLogger).child({ checker: options.name });
  const subject = subjects.checker(options.name);
  const kinds = [...checker.credentialKinds];
  // Several processes may serve one name (a queue group): each withdraws only itself.
  const instance = newIdentifier();
  // `since` lets a portal that starts later rank the answers to its `discover` as they were
  // announced: they arrive in no particular order (an outside probe saw a restarted portal put an
  // older checker on top, refusing the passwords only the newer one had).
  const announcement = encode({ name: options.name, kinds, instance, since: Date.now() });

  const check = async (body: Record<string, unknown>) => {
    const { credentials: wire } = parse(checkerRequest, body);
    if (!kinds.includes(wire.kind)) throw new UnhandledCredentials(`checker ${options.name} does not handle ${wire.kind}`);
    const avatarId = await checker.requestAvatarId(credentialsFromWire(wire));
    return avatarId === ANONYMOUS ? okReply({ avatarId: null, anonymous: true }) : okReply({ avatarId });
  };
  const subscriptions: BusSubscription[] = [
    serveRequests(bus, subject, check, { queue: subject, logger, fallback: () => new LoginFailed() }),
    // This process alone: a portal sends a check here again when the instance that took it died
    // or stalled, since the queue group could hand it to that same instance (served-probe.ts).
    serveRequests(bus, subjects.checkerInstanceCheck(options.name, instance), check, { logger, fallback: () => new LoginFailed() }),
    bus.subscribe(subjects.discover, (message) => {
      if (message.reply !== undefined) message.respond(announcement);
    }),
    // Another process of this checker withdrew: a portal built from PROTOCOL.md alone drops the
    // name on `{"name": …}`, though this process still serves it (an outside portal then refused
    // every login of its kinds, 3 of 3). So this one announces again, a moment after, once.
    bus.subscribe(subjects.withdraw, (message) => {
      if (stopped !== undefined || reannounce !== undefined || !isOtherInstanceOf(message.data, options.name, instance)) return;
      reannounce = setTimeout(() => {
        reannounce = undefined;
        if (stopped !== undefined) return;
        try {
          bus.publish(subjects.announce, announcement);
        } catch {
          // Closed meanwhile: nobody to announce to.
        }
      }, REANNOUNCE_AFTER_MS);
      reannounce.unref?.();
    }),
    // A portal whose check waits asks each instance it knows whether it is still there: one that
    // is gone may have taken the check with it, and the check is sent again (served-probe.ts).
    serveRequests(
      bus,
      subjects.checkerInstance(options.name, instance),
      () => okReply({}),
      { logger, fallback: () => new LoginFailed() },
    ),
  ];
  if (answersChallengeQueries(checker)) {
    // scram-sha-256 and ssh-key ask the checker before the answer (docs/challenges.md); subscribed
    // before the announcement goes out, so no portal can ask too early.
    subscriptions.push(
      serveRequests(
        bus,
        challengeQuerySubject(subject),
        async (body) => okReply(await checker.answerChallengeQuery(parseChallenge(challengeRequest, body))),
        { queue: subject, logger, fallback: () => new LoginFailed() },
      ),
    );
  }
  // A token checker must refuse a token revoked anywhere on the bus, from its first check on.
  const revocationLists = revocationListsOf([checker]);
  const unfollow =
    revocationLists.length === 0
      ? undefined
      : followRevocations(bus, subjects.prefix, ({ jti, expiresAt }) => {
          for (const list of revocationLists) list.revoke(jti, expiresAt);
        });
  let stopped: Promise<void> | undefined;
  let reannounce: ReturnType<typeof setTimeout> | undefined;
  bus.publish(subjects.announce, announcement);
  // Back from a lost connection, announced again: a portal that found it gone meanwhile (a check
  // met no responders) dropped it, and a repeated announcement of a known checker changes nothing.
  const unwatch = bus.onConnectionChange?.((connected) => {
    if (!connected || stopped !== undefined) return;
    try {
      bus.publish(subjects.announce, announcement);
    } catch {
      // Closed meanwhile: nobody to announce to.
    }
  });
  await bus.flush();
  logger.info({ kinds }, "checker announced");

  return {
    name: options.name,
    kinds,
    stop: () =>
      (stopped ??= (async () => {
        // Withdrawn first, so portals stop choosing this checker; then drained, so every check
        // already on its way is still answered (a hot swap must not fail a login).
        unwatch?.();
        clearTimeout(reannounce);
        bus.publish(subjects.withdraw, encode({ name: options.name, instance }));
        await bus.flush().catch(() => undefined);
        await Promise.all(subscriptions.map((subscription) => subscription.drain()));
        unfollow?.();
        logger.info({}, "checker withdrawn");
      })()),
  };
}

/** How long after another instance's withdrawal a checker process announces itself again. */
const REANNOUNCE_AFTER_MS = 50;

/** Whether a withdrawal names this checker and comes from another process of it (or from one that gives no instance). */
function isOtherInstanceOf(data: Uint8Array, name: string, instance: string): boolean {
  try {
    const withdrawal = decodeObject(data);
    // A withdrawal naming no process is the checker's as a whole (an operator's rollback, or a
    // copy built from PROTOCOL.md alone, which cannot say which process it is): not answered.
    return withdrawal["name"] === name && typeof withdrawal["instance"] === "string" && withdrawal["instance"] !== instance;
  } catch {
    return false;
  }
}
