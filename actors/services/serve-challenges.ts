/** Serves `P.challenge` for a portal instance: each request issues a challenge actor living on `P.challenge.ID`. */
import { hostname } from "node:os";
import { checkWholeNumber } from "../option-checks.ts";
import type { Bus, BusSubscription } from "../../transports/bus.ts";
import { BusClosed, NoResponders, RequestTimeout } from "../../transports/errors.ts";
import { askRidingOutReconnects, watchReconnects } from "../../transports/reconnect-clock.ts";
import { DEFAULT_CHALLENGE_EXPIRY_MS } from "../../machines/challenge.ts";
import { ChallengeActor } from "../challenges/challenge-actor.ts";
import { answersChallengeQueries, challengeQuerySubject } from "../challenges/challenge-query.ts";
import type { ChallengeMechanism, ChallengeQuery } from "../challenges/mechanism.ts";
import { defaultChallengeMechanisms } from "../challenges/registry.ts";
import { challengeRequest, parse } from "../challenges/schemas.ts";
import { CRAM_MD5, CRAM_MD5_KINDS } from "../challenges/cram-md5.ts";
import { PB_MD5, PB_MD5_KINDS } from "../challenges/pb-md5.ts";
import { fromWireError, LoginFailed, RateLimited, UnhandledCredentials, type PortcullisError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Portal } from "../portal.ts";
import { decodeObject, encode, okReply } from "../wire/codec.ts";
import { newIdentifier } from "../wire/identifiers.ts";
import type { Subjects } from "../wire/subjects.ts";
import type { CompleteLogin } from "./complete-login.ts";
import { RemoteChecker } from "./remote-checker.ts";
import { serveRequests } from "./responder.ts";
import { ThrottledWarning } from "./throttled-warning.ts";

/** The kinds a mechanism's answers are checked as, where they are more than the mechanism's own. */
const CHECKED_AS: ReadonlyMap<string, readonly string[]> = new Map([
  [CRAM_MD5, CRAM_MD5_KINDS],
  [PB_MD5, PB_MD5_KINDS],
]);

export interface ChallengeOptions {
  /** How long each round of a challenge stays open (default 60000 ms). */
  readonly expiresInMs?: number;
  /** The host named in cram-md5 challenges (default: this machine's host name). */
  readonly host?: string;
  /** The mechanisms offered (default: all of PROTOCOL.md's). */
  readonly mechanisms?: Iterable<ChallengeMechanism>;
  /**
   * Open challenges this instance holds at most; a new one then ends the oldest still waiting
   * for its answer (`RateLimited` only when every open challenge is being checked).
   */
  readonly maxOpen?: number;
  /** How long a checker may take to answer a challenge query (default 10000 ms). */
  readonly queryTimeoutMs?: number;
}

export interface ChallengeServiceDeps {
  readonly subjects: Subjects;
  readonly portal: Portal;
  readonly completeLogin: CompleteLogin;
  readonly logger: Logger;
  readonly isClosing: () => boolean;
}

export interface ChallengeService {
  /** Challenges open on this instance. */
  readonly open: number;
  /** Stops issuing and ends every open challenge (answers being verified still get their reply). */
  close(): Promise<void>;
}

/**
 * Serves `P.challenge` in queue group `P.portal`. Replies `UnhandledCredentials` for a mechanism
 * this portal does not offer or no checker handles, `BadRequest` for garbage, `RateLimited` when
 * `maxOpen` challenges are open, `LoginFailed` while shutting down, when the checker cannot answer,
 * or while the mechanism's checker is down or just withdrew (the Portal's `noCheckerError`).
 */
export function serveChallenges(bus: Bus, deps: ChallengeServiceDeps, options: ChallengeOptions = {}): ChallengeService {
  const { subjects, portal, logger } = deps;
  const expiresInMs = options.expiresInMs ?? DEFAULT_CHALLENGE_EXPIRY_MS;
  checkWholeNumber("challenges.expiresInMs", expiresInMs, 1);
  checkWholeNumber("challenges.maxOpen", options.maxOpen, 1, Number.MAX_SAFE_INTEGER);
  checkWholeNumber("challenges.queryTimeoutMs", options.queryTimeoutMs, 1);
  const maxOpen = options.maxOpen ?? 10_000;
  const queryTimeoutMs = options.queryTimeoutMs ?? 10_000;
  watchReconnects(bus);
  const host = options.host ?? hostname();
  const mechanisms = new Map([...(options.mechanisms ?? defaultChallengeMechanisms)].map((m) => [m.name, m]));
  /** Open challenges in the order they were issued, with when (the first expires first). */
  const open = new Map<string, { actor: ChallengeActor; issuedAt: number }>();
  /** Until the oldest open challenge expires and frees a place: what a refused client should wait. */
  const retryAfterMs = () => {
    const oldest = open.values().next().value;
    return Math.max(1000, Math.ceil((oldest ? oldest.issuedAt + expiresInMs : 0) - performance.now()));
  };

  /**
   * Why this mechanism's answers cannot be checked now, or `undefined` when they can: the checker a
   * login would use must be registered for the mechanism, or for a base kind its answers provide
   * (cram-md5 and pb-md5 are also `username-hashed-password`). Not a checker service registered
   * only for the base kind: the answer reaches it with the mechanism as its wire kind, which it did
   * not announce (PROTOCOL.md). With none, the Portal says why, as for a password login:
   * `LoginFailed` while the mechanism's checker is down or just withdrew, else `UnhandledCredentials`.
   */
  function cannotCheck(mechanism: string): PortcullisError | undefined {
    const kinds = CHECKED_AS.get(mechanism);
    const checker = portal.checkerFor({ kinds: kinds ?? [mechanism] });
    if (checker !== undefined && (!kinds || !(checker instanceof RemoteChecker) || checker.credentialKinds.includes(mechanism))) return undefined;
    return portal.noCheckerError({ kinds: [mechanism] });
  }

  async function query(q: ChallengeQuery): Promise<Record<string, unknown>> {
    const checker = portal.checkerFor({ kinds: [q.mechanism] });
    if (!checker) throw portal.noCheckerError({ kinds: [q.mechanism] });
    if (answersChallengeQueries(checker)) return checker.answerChallengeQuery(q);
    if (!(checker instanceof RemoteChecker)) throw new LoginFailed(`the checker for ${q.mechanism} cannot answer challenge queries`);
    let data: Uint8Array;
    try {
      const encoded = encode(q);
      // A checker not back yet from a nats-server restart is asked again for a moment (reconnect-clock.ts).
      data = await askRidingOutReconnects(bus, () => bus.request(challengeQuerySubject(subjects.checker(checker.name)), encoded, { timeoutMs: queryTimeoutMs }));
    } catch (error) {
      // Nobody at the query subject: the checker is gone (most often), or it serves no queries.
      if (error instanceof NoResponders) throw new LoginFailed(`checker ${checker.name} is not reachable or answers no challenge queries; try again`);
      if (error instanceof RequestTimeout) throw new LoginFailed(`checker ${checker.name} timed out`);
      if (error instanceof BusClosed) throw new LoginFailed("portal is shutting down");
      throw error;
    }
    let reply: Record<string, unknown>;
    try {
      reply = decodeObject(data);
    } catch {
      throw new LoginFailed(`checker ${checker.name} answered garbage`);
    }
    if (reply["ok"] !== true) throw fromWireError(reply["error"]);
    return reply;
  }

  const full = new ThrottledWarning(() => logger);
  /**
   * Makes room at `maxOpen` by ending the oldest challenge still waiting for its answer. Refusing
   * new challenges instead let one client that asked 10,000 times and never answered block every
   * user's challenge login for the 60 s until the first expired (an outside probe); now such a
   * flood has to outpace honest clients' answers, which take milliseconds, to cost them a retry.
   * That client's late answer meets no responder or `UnauthorizedLogin`, as after expiry.
   */
  function dropOldestUnanswered(): boolean {
    for (const [id, { actor }] of open) {
      if (!actor.awaitingAnswer) continue;
      open.delete(id);
      actor.cancel();
      full.note(() => ({ event: "challenges-full", maxOpen }), "open challenges at maxOpen: ending the oldest unanswered ones (a flood of challenge requests?)");
      return true;
    }
    return false;
  }

  const subscription: BusSubscription = serveRequests(
    bus,
    subjects.challenge,
    async (body) => {
      const request = parse(challengeRequest, body);
      const mechanism = mechanisms.get(request.mechanism);
      if (!mechanism) {
        // A kind this portal checks, but not by challenge: say where it goes (an outside probe read
        // "No checker for username-password" from a portal that had one).
        if (portal.checkerFor({ kinds: [request.mechanism] }) !== undefined) {
          throw new UnhandledCredentials(`${request.mechanism} is not a challenge mechanism: send those credentials to ${subjects.login}`);
        }
        throw new UnhandledCredentials(`No checker for ${request.mechanism}`);
      }
      const unavailable = cannotCheck(mechanism.name);
      if (unavailable) throw unavailable;
      if (deps.isClosing()) throw new LoginFailed("portal is shutting down");
      if (open.size >= maxOpen && !dropOldestUnanswered()) throw new RateLimited(retryAfterMs(), "too many open challenges");
      const id = newIdentifier();
      const actor = new ChallengeActor({
        bus,
        subject: `${subjects.challenge}.${id}`,
        id,
        mechanism,
        request: body,
        context: { host, query },
        expiresInMs,
        completeLogin: deps.completeLogin,
        logger,
      });
      open.set(id, { actor, issuedAt: performance.now() });
      void actor.finished.then(() => open.delete(id));
      const issued = await actor.opened;
      return okReply({ id, challenge: issued.challenge, expiresInMs });
    },
    { queue: subjects.portalQueue, logger, fallback: () => new LoginFailed() },
  );

  return {
    get open() {
      return open.size;
    },
    close: async () => {
      // Drained: a challenge request already routed here gets its answer (then the challenge is
      // cancelled with the rest, and its client learns at once rather than by a timeout).
      await subscription.drain();
      const actors = [...open.values()].map((o) => o.actor);
      for (const actor of actors) actor.cancel();
      await Promise.all(actors.map((a) => a.finished));
    },
  };
}
