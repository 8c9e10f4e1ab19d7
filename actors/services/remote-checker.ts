/** A checker served elsewhere on the bus, used by the Portal like any local checker. */
import { BusClosed, NoResponders, RequestTimeout } from "../../transports/errors.ts";
import { askRidingOutReconnects, watchReconnects } from "../../transports/reconnect-clock.ts";
import { checkWholeNumber } from "../option-checks.ts";
import type { Bus } from "../../transports/bus.ts";
import { isValidAvatarId } from "../checkers/avatar-id.ts";
import { ANONYMOUS, type AvatarId, type Checker } from "../checkers/checker.ts";
import type { Credentials } from "../credentials/credentials.ts";
import { CheckerUnavailable, fromWireError, LoginFailed, PortcullisError } from "../errors.ts";
import { decodeObject, encode } from "../wire/codec.ts";
import { checkerReply, parse } from "../wire/schemas.ts";
import { subjectsFor, type Subjects } from "../wire/subjects.ts";
import { ServedProbe, type ServiceInstances } from "./served-probe.ts";

export interface RemoteCheckerOptions {
  readonly prefix?: string;
  readonly timeoutMs?: number;
  /**
   * How often a check still unanswered asks whether anyone serves the checker's subject any more
   * (default 1000 ms); a checker found gone is `CheckerUnavailable`, so the login falls back.
   */
  readonly probeEveryMs?: number;
  /**
   * The processes serving the checker that named themselves (announcements' `instance`): a check
   * waiting when one of them is found gone is sent once more, to the ones left.
   */
  readonly instances?: ServiceInstances;
  /** Told whenever a check gets an answer from the checker, refusals included (it is live and in use). */
  readonly onAnswered?: () => void;
}

/**
 * The refusals a checker service may answer with, as they are: a wrong credential, a failure of
 * its own (`LoginFailed`, its message passed on: write it for clients), a limit, a kind it does
 * not check after all, and malformed credentials of a custom kind, which only the checker can
 * judge. Any other code becomes `LoginFailed`.
 */
const CHECKER_CODES: ReadonlySet<string> = new Set(["UnauthorizedLogin", "LoginFailed", "RateLimited", "UnhandledCredentials", "BadRequest"]);

/**
 * Sends credentials to `P.checker.NAME`. Rejects with the checker's own error, with
 * `CheckerUnavailable` when nobody serves it (the portal then falls back), and with
 * `LoginFailed` when it times out or answers garbage (an avatarId that `isValidAvatarId`
 * refuses included): never with a refusal it did not make.
 */
export class RemoteChecker implements Checker {
  readonly #subjects: Subjects;
  readonly #subject: string;
  readonly #timeoutMs: number;
  /** A check unanswered for a while asks whether the checker is still served (served-probe.ts). */
  readonly #probe: ServedProbe;
  readonly #onAnswered: (() => void) | undefined;

  constructor(
    private readonly bus: Bus,
    readonly name: string,
    readonly credentialKinds: readonly string[],
    options: RemoteCheckerOptions = {},
  ) {
    checkWholeNumber("timeoutMs", options.timeoutMs, 1);
    this.#subjects = subjectsFor(options.prefix);
    this.#subject = this.#subjects.checker(name);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#probe = new ServedProbe(bus, this.#subject, options.probeEveryMs, options.instances);
    this.#onAnswered = options.onAnswered;
    watchReconnects(bus);
  }

  /**
   * The checker withdrew: it drains (its subject has no subscriber while it finishes what it
   * took), so checks under way wait for their answer instead of being probed as gone, for
   * `DEFAULT_DRAIN_MS` (served-probe.ts); then those still waiting fall back if nobody serves it.
   */
  withdrawn(): void {
    this.#probe.standDown();
  }

  /** One of the answering instances' own check subject, chosen at random to spread the load; undefined without one. */
  #instanceCheck(answering: readonly string[]): string | undefined {
    if (answering.length === 0) return undefined;
    return this.#subjects.checkerInstanceCheck(this.name, answering[Math.floor(Math.random() * answering.length)]!);
  }

  async requestAvatarId(credentials: Credentials): Promise<AvatarId> {
    let data: Uint8Array;
    try {
      const body = encode({ credentials: credentials.toWire() });
      const ask = (subject = this.#subject) => this.bus.request(subject, body, { timeoutMs: this.#timeoutMs });
      // To one process's own subject, or to the group when it has none (an older version).
      const askAt = (answering: readonly string[] | undefined) => {
        const target = answering === undefined ? undefined : this.#instanceCheck(answering);
        return target === undefined ? ask() : ask(target).catch((error: unknown) => (error instanceof NoResponders ? ask() : Promise.reject(error)));
      };
      const attempt = () => {
        // Around a stalled process while one is known: straight to one that answered its probe.
        const asked = askAt(this.#probe.detour);
        // Sent again when a process of the checker is found gone or stalled while this waits: it may
        // hold the check. Sent to a process that just answered, on its own subject (the queue group
        // could hand it back to a stalled one). The first answer wins; a stalled process's late one
        // may still come, and loses.
        let askAgain!: (answering: readonly string[]) => void;
        const askedAgain = new Promise<Uint8Array>((resolve, reject) => (askAgain = (answering) => void askAt(answering).then(resolve, reject)));
        // Sent again when this portal's connection comes back while it waits: the check, or its
        // answer, may have been lost with the connection (nats.js drops what is published while
        // it is down), and would hold the login, and the account's queue, until the timeout.
        const stopWatching = this.bus.onConnectionChange?.((connected) => {
          if (connected) askAgain([]);
        });
        const answered = Promise.race([asked, this.#probe.untilGone(asked, (answering) => askAgain(answering)), askedAgain]);
        if (stopWatching !== undefined) void answered.then(stopWatching, stopWatching);
        return answered;
      };
      // Just after a nats-server restart the checker's process may be back later than this one:
      // for a moment its subject has nobody, and that is not "gone" (it announces again once back).
      data = await askRidingOutReconnects(this.bus, attempt);
      this.#onAnswered?.();
    } catch (error) {
      if (error instanceof NoResponders) throw new CheckerUnavailable(`checker ${this.name} is unavailable`);
      if (error instanceof RequestTimeout) throw new LoginFailed(`checker ${this.name} timed out`);
      if (error instanceof BusClosed) throw new LoginFailed("portal is shutting down");
      throw error;
    }
    let reply;
    try {
      reply = parse(checkerReply, decodeObject(data));
    } catch (error) {
      if (error instanceof PortcullisError) throw new LoginFailed(`checker ${this.name} answered garbage`);
      throw error;
    }
    if (!reply.ok) {
      const error = fromWireError(reply.error);
      // Only what a checker can mean reaches the client: a checker's `SessionEnded` or
      // `NoSuchInterface` would tell it something false about its own login (outside probe).
      if (!CHECKER_CODES.has(error.code)) throw new LoginFailed(`checker ${this.name} failed`);
      return Promise.reject(error);
    }
    if (reply.anonymous === true) return ANONYMOUS;
    // "", 50,000 characters or control characters name nobody: the checker answered garbage.
    if (!isValidAvatarId(reply.avatarId)) throw new LoginFailed(`checker ${this.name} answered an invalid avatarId`);
    return reply.avatarId;
  }
}
