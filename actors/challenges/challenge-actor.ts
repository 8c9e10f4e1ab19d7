/** One live challenge on the portal that issued it: the challenge machine with its effects, on `P.challenge.ID`. */
import type { Bus, BusMessage, BusSubscription } from "../../transports/bus.ts";
import { challengeMachine, type ChallengeEvent, type ChallengeOutput } from "../../machines/challenge.ts";
import { LeanActor } from "../lean-actor.ts";
import { BadRequest, LoginFailed, PortcullisError, UnauthorizedLogin } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { CompleteLogin, LoginFields } from "../services/complete-login.ts";
import { describe as describeError } from "../services/responder.ts";
import { decodeObject, errorReply, okReply } from "../wire/codec.ts";
import { shortId } from "../wire/identifiers.ts";
import type { ChallengeMechanism, ChallengeStep, IssueContext, Issued } from "./mechanism.ts";
import { challengeAnswer, parse } from "./schemas.ts";

export interface ChallengeActorInput {
  readonly bus: Bus;
  /** `P.challenge.ID`. */
  readonly subject: string;
  readonly id: string;
  readonly mechanism: ChallengeMechanism;
  /** The `P.challenge` request body. */
  readonly request: Record<string, unknown>;
  readonly context: IssueContext;
  readonly expiresInMs: number;
  readonly completeLogin: CompleteLogin;
  readonly logger: Logger;
}

/** A parsed response, carried by the machine's RESPONSE / QUERY events to the effects. */
interface Answer {
  readonly message: BusMessage;
  readonly step: ChallengeStep;
  /**
   * What the machine did with a RESPONSE: `taken` as the round's one response, or `refused` (and
   * answered `UnauthorizedLogin`: one came first). Unset: the machine did not take it at all.
   */
  fate?: "taken" | "refused";
}

/** Thrown out of a login whose response the machine refused: that response is answered already. */
class NotTaken extends Error {}

const fallback = () => new LoginFailed();

/** The running machine's effects, reached from the one shared machine definition below. */
interface ChallengeEffects {
  issue(self: ChallengeRef): void;
  answerQuery(answer: Answer): void;
}
type ChallengeRef = { send(event: ChallengeEvent): void };

/** Which challenge a running machine belongs to: its actor ref (`self`) → its effects. */
const effectsOf = new WeakMap<object, ChallengeEffects>();
const effects = (self: object): ChallengeEffects => effectsOf.get(self)!;

/**
 * Provided once: `provide()` builds a whole machine (state nodes, transitions), and a challenge
 * per request each building its own measured ~22 KB per open challenge with the actor around it.
 */
const providedMachine = challengeMachine.provide({
  actions: {
    issue: ({ self }) => effects(self).issue(self as ChallengeRef),
    // The login that verifies it is already under way (#respond): it waited for this to begin.
    verify: ({ event }) => {
      if (event.type === "RESPONSE") (event.response as Answer).fate = "taken";
    },
    answerQuery: ({ event, self }) => {
      if (event.type === "QUERY") effects(self).answerQuery(event.query as Answer);
    },
    refuseResponse: ({ event }) => {
      const answer = (event.type === "RESPONSE" ? event.response : event.type === "QUERY" ? event.query : undefined) as Answer | undefined;
      if (answer) answer.fate = "refused";
      answer?.message.respond(errorReply(new UnauthorizedLogin()));
    },
  },
});

/**
 * Starts a challenge. `opened` resolves with the challenge once its subject is subscribed (so the
 * client's answer can never beat it), or rejects with the reason it could not be issued;
 * `finished` resolves when it is over, after which its subject has no responder.
 */
export class ChallengeActor {
  readonly opened: Promise<Issued>;
  readonly finished: Promise<ChallengeOutput>;
  /** The machine in a `LeanActor`: a challenge uses timers and provided actions only. */
  readonly #actor: LeanActor<typeof providedMachine>;
  #issued: Issued | undefined;
  #subscription: BusSubscription | undefined;

  constructor(private readonly input: ChallengeActorInput) {
    const log = input.logger.child({ challenge: shortId(input.id), mechanism: input.mechanism.name });
    let open!: (issued: Issued) => void;
    let fail!: (error: unknown) => void;
    this.opened = new Promise((resolve, reject) => ((open = resolve), (fail = reject)));
    this.opened.catch(() => undefined);
    this.#actor = new LeanActor(providedMachine, { input: { expiresInMs: input.expiresInMs } });
    effectsOf.set(this.#actor, {
      issue: (self) => {
        Promise.resolve()
          .then(() => input.mechanism.issue(input.request, input.context))
          .then(async (issued) => {
            this.#issued = issued;
            this.#subscription = input.bus.subscribe(input.subject, (message) => this.#onMessage(message));
            await input.bus.flush();
            self.send({ type: "ISSUED" });
            open(issued);
          })
          .catch((error: unknown) => {
            self.send({ type: "ISSUE_FAILED", error });
            fail(error);
          });
      },
      answerQuery: (answer) => {
        if (answer.step.type !== "query") return;
        const { query, answer: toReply } = answer.step;
        input.context.query(query).then(
          (reply) => answer.message.respond(okReply(toReply(reply))),
          (error: unknown) => answer.message.respond(errorReply(error, fallback)),
        );
      },
    });
    this.finished = new Promise((resolve) => {
      const subscription = this.#actor.subscribe({
        complete: () => {
          subscription.unsubscribe();
          // Drained, not dropped: responses already on their way (several racing for one
          // challenge) reach #onMessage and get UnauthorizedLogin rather than silence.
          this.#stopServing();
          const output = this.#actor.getSnapshot().output!;
          log.debug({ event: "challenge-ended", outcome: output.outcome, rounds: output.rounds }, "challenge ended");
          resolve(output);
        },
        error: (error) => {
          // A machine bug: fail closed, never leave the subject answering.
          this.#stopServing();
          log.error({ error: describeError(error) }, "challenge machine failed");
          resolve({ outcome: "refused", rounds: 0, failure: error });
        },
      });
    });
    this.#actor.start();
  }

  #stopServing(): void {
    this.#subscription?.drain().catch(() => undefined);
  }

  /** Issued and waiting for the client's answer: nothing of the client's is being checked. */
  get awaitingAnswer(): boolean {
    return this.#actor.getSnapshot().value === "awaiting";
  }

  /** Ends the challenge now (portal shutdown); an answer being verified still gets its reply. */
  cancel(): void {
    this.#actor.send({ type: "CANCEL" });
  }

  #onMessage(message: BusMessage): void {
    if (message.reply === undefined) return;
    if (this.#actor.getSnapshot().status !== "active") {
      message.respond(errorReply(new UnauthorizedLogin()));
      return;
    }
    let answer: Answer;
    let fields: LoginFields | undefined;
    try {
      const { username, interfaces, mind, issueToken, body } = parse(challengeAnswer, decodeObject(message.data));
      const step = this.input.mechanism.step({ username, body }, this.#issued!);
      if (step.type === "login") {
        if (interfaces === undefined) throw new BadRequest("invalid interfaces: expected an array");
        fields = { interfaces, mind, ...(issueToken === undefined ? {} : { issueToken }) };
      }
      answer = { message, step };
    } catch (error) {
      // Garbage is not an answer: the round stays open.
      message.respond(errorReply(error, fallback));
      return;
    }
    if (fields === undefined) this.#actor.send({ type: "QUERY", query: answer });
    else this.#respond(answer, fields);
  }

  /**
   * Runs the login for a response. The login checks its fields first (a `mind` that is not an
   * inbox, `issueToken` on a portal without tokens, a full portal) and asks for the credentials
   * only once they pass: only then is the response given to the machine as the round's one
   * RESPONSE. A login refused before that is not a response, and the round stays open, as for
   * any other `BadRequest`. Called from the bus, not from a machine action: the login saga is an
   * xstate machine of its own.
   */
  #respond(answer: Answer, fields: LoginFields): void {
    const step = answer.step;
    if (step.type !== "login") return;
    const take = () => {
      this.#actor.send({ type: "RESPONSE", response: answer });
      if (answer.fate !== "taken") {
        // Another response has the round (answered by refuseResponse), or the machine took none.
        if (answer.fate === undefined) answer.message.respond(errorReply(new UnauthorizedLogin()));
        throw new NotTaken();
      }
      if (step.refuse === true) throw new UnauthorizedLogin();
      return step.credentials;
    };
    let login: Promise<Uint8Array>;
    try {
      login = this.input.completeLogin(fields, take, {
        kind: this.input.mechanism.name,
        log: { via: "challenge" },
        replyTo: answer.message.reply,
        ...(step.extra ? { extra: step.extra } : {}),
      });
    } catch (error) {
      login = Promise.reject(error);
    }
    login.then(
      (reply) => {
        answer.message.respond(reply);
        this.#actor.send({ type: "VERIFIED" });
      },
      (error: unknown) => {
        if (error instanceof NotTaken) return;
        answer.message.respond(errorReply(error, fallback));
        if (answer.fate === "taken") {
          this.#actor.send({ type: "REFUSED", error: error instanceof PortcullisError ? error.code : describeError(error) });
        }
      },
    );
  }
}
