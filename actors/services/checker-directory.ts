/** The portal's view of checkers served on the bus: announce, discover and withdraw, kept in the Portal. */
import type { Checker } from "../checkers/checker.ts";
import type { Bus, BusMessage, BusSubscription } from "../../transports/bus.ts";
import type { Logger } from "../logger.ts";
import type { Portal } from "../portal.ts";
import { BadRequest } from "../errors.ts";
import { decodeObject, encode, errorReply, okEmpty } from "../wire/codec.ts";
import { announcement, parse, withdrawal, type Announcement } from "../wire/schemas.ts";
import { isInstanceId, subjectsFor } from "../wire/subjects.ts";
import { CheckerInstanceKinds, sameKinds } from "./checker-instance-kinds.ts";
import { CheckerPrecedence } from "./checker-precedence.ts";
import { CheckerPresence } from "./checker-presence.ts";
import { CheckerRecency } from "./checker-recency.ts";
import { RemoteChecker } from "./remote-checker.ts";
import { ThrottledWarning } from "./throttled-warning.ts";

export interface CheckerDirectoryOptions {
  readonly prefix?: string;
  readonly logger: Logger;
  readonly checkerTimeoutMs?: number;
  /** Checkers this process serves itself and already gave the portal: their announcements add nothing. */
  readonly localNames?: Iterable<string>;
  /**
   * The checkers the portal was given itself. They rank as announced when the directory starts:
   * above checkers that answer `discover` with an earlier `since` (or none), below every checker
   * announced later. An outside probe saw `serve --auth memory:…` keep refusing its own users
   * because a `memory` checker started an hour before it, answering `discover`, was put on top.
   */
  readonly localCheckers?: Iterable<Checker>;
  /**
   * How long a kind whose last checker withdrew answers `LoginFailed` ("try again") before
   * `UnhandledCredentials`; default 30000 ms. A checker stopped for a restart withdraws too.
   */
  readonly withdrawnGraceMs?: number;
  /**
   * How many checker names the portal keeps at most (default 1000). A new name past that makes the
   * portal forget the one least recently announced or answering a check, with a warning at most
   * every 10 s. Each new name costs the portal a pass over the ones it has: an outside fuzzer
   * announcing 40,000 made-up names left a portal deaf for 57 s; ignoring names past the limit
   * instead kept a real checker announced after such a flood out for good.
   */
  readonly maxCheckers?: number;
}

/** Checker names a portal keeps at most, unless told otherwise. */
export const DEFAULT_MAX_CHECKERS = 1000;

/** How long a withdrawal of a checker's last known instance waits for other instances to answer `discover`. */
const CONFIRM_WITHDRAWAL_MS = 250;
/** What a portal asks on `P.checkers.discover`: a JSON object, as every payload is (PROTOCOL.md); checkers answer any message there. */
const DISCOVER = encode({});
/** How soon after its reconnect a portal asks the checkers it dropped meanwhile to announce (its own resubscriptions first). */
const RECONNECT_LOOK_MS = 250;

/**
 * Registers announced checkers in `portal` (the newest announcement takes precedence for its
 * kinds) and unregisters withdrawn ones, which restores the previous checker. A repeated
 * announcement, or an answer to `discover`, of a known checker changes nothing.
 */
export class CheckerDirectory {
  readonly #known = new Map<string, RemoteChecker>();
  /** name → the instances serving it (`""` for one that gives no instance id). */
  readonly #instances = new Map<string, Set<string>>();
  readonly #subscriptions: BusSubscription[] = [];
  readonly #subjects;
  readonly #local: ReadonlySet<string>;
  readonly #precedence: CheckerPrecedence;
  readonly #presence: CheckerPresence;
  readonly #recency = new CheckerRecency();
  readonly #instanceKinds = new CheckerInstanceKinds();

  constructor(private readonly bus: Bus, private readonly portal: Portal, private readonly options: CheckerDirectoryOptions) {
    this.#subjects = subjectsFor(options.prefix);
    this.#local = new Set(options.localNames ?? []);
    this.#precedence = new CheckerPrecedence(portal);
    this.#presence = new CheckerPresence(bus, this.#subjects);
  }

  /** Starts listening and asks every running checker to announce itself. */
  start(): void {
    const startedAt = Date.now();
    for (const local of this.options.localCheckers ?? []) this.#precedence.rankLocal(local, startedAt);
    const onAnnouncement = (message: BusMessage, discovered = false) =>
      this.#guard(message, () => this.#add(parse(announcement, decodeObject(message.data)), discovered));
    this.#subscriptions.push(
      this.bus.subscribe(this.#subjects.announce, (m) => onAnnouncement(m)),
      this.bus.subscribe(this.#subjects.withdraw, (m) =>
        this.#guard(m, () => {
          const { name, instance } = parse(withdrawal, decodeObject(m.data));
          this.#remove(name, instance);
        }),
      ),
    );
    const inbox = (this.#inbox = this.bus.inbox());
    // NATS answers a request nobody hears with an empty no-responders status on this inbox.
    this.#subscriptions.push(this.bus.subscribe(inbox, (m) => {
      if (m.data.byteLength === 0) return;
      this.#lastAnswer = performance.now();
      onAnnouncement(m, true);
    }));
    this.#discoveredFrom = performance.now();
    this.bus.publish(this.#subjects.discover, DISCOVER, { reply: inbox });
    // Back from a lost connection: a checker dropped around the outage (its connection closed
    // before this one's, as a nats-server shutting down does) may have announced itself while this
    // portal could not hear it (an outside probe: logins refused for 4 s, until the next 5 s round).
    this.#stopWatchingConnection = this.bus.onConnectionChange?.((connected) => {
      if (connected) this.lookAgain(RECONNECT_LOOK_MS, true);
    });
  }

  /**
   * Resolves once the running checkers have had their say: `minMs` after `start()`, then as soon
   * as no answer to `discover` came for `quietMs`, and at most `maxMs` after `start()`. A portal
   * joins the login queue group only then: before, an outside probe saw a portal started under
   * load refuse its first logins with UnhandledCredentials while the checker was up all along.
   */
  async settled({ minMs = 50, quietMs = 50, maxMs = 1000 } = {}): Promise<void> {
    const from = this.#discoveredFrom ?? performance.now();
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(1, ms)));
    await sleep(from + minMs - performance.now());
    for (;;) {
      const now = performance.now();
      const quietFor = now - Math.max(from, this.#lastAnswer ?? from);
      if (quietFor >= quietMs || now - from >= maxMs) return;
      await sleep(Math.min(quietMs - quietFor, from + maxMs - now));
    }
  }

  /**
   * Checkers whose last known instance withdrew, being asked about: name → the instances leaving
   * ("" for one without id), whose answers are ignored, and the round under way (a later
   * withdrawal starts a new one: only the latest round's timer decides).
   */
  readonly #confirming = new Map<string, { readonly leaving: Set<string>; round: object; unnamedAnswer?: boolean }>();
  #discoveredFrom: number | undefined;
  #lastAnswer: number | undefined;
  #inbox: string | undefined;
  #lookAgain: NodeJS.Timeout | undefined;
  #stopWatchingConnection: (() => void) | undefined;

  /**
   * The portal dropped a checker that had no responders. It may have been cut off a moment (its
   * connection back, it does not announce again by itself unless it is ours), or restarted: ask
   * every checker to announce in a second, then every 5 s while any checker this portal knew is
   * still missing. A reviewer saw one connection blip drop a healthy checker for good.
   */
  lookAgain(delayMs = 1000, sooner = false): void {
    if (this.#inbox === undefined) return;
    if (this.#lookAgain !== undefined) {
      if (!sooner) return;
      clearTimeout(this.#lookAgain);
    }
    this.#lookAgain = setTimeout(() => {
      this.#lookAgain = undefined;
      if (this.#inbox === undefined || ![...this.#known.values()].some((checker) => !this.portal.hasChecker(checker))) return;
      try {
        this.bus.publish(this.#subjects.discover, DISCOVER, { reply: this.#inbox });
      } catch {
        // The bus is closing: nothing to look for any more.
        return;
      }
      this.lookAgain(5000);
    }, delayMs);
    this.#lookAgain.unref?.();
  }

  /**
   * A login met no responders at `checker`. One that withdrew without an instance and was kept
   * while still served (the fallback of its kinds) has now stopped: its withdrawal is complete,
   * and its kinds get the withdrawal's grace, then `UnhandledCredentials` (an outside probe's
   * checker withdrew, drained for a second and stopped; its kind answered "try again" for good,
   * as for a crash). Any other is looked for again: it may be back in a moment.
   */
  checkerGone(checker: Checker): void {
    if (checker instanceof RemoteChecker && this.#known.get(checker.name) === checker && this.#precedence.isDemoted(checker)) return this.#drop(checker.name, checker);
    this.lookAgain();
  }

  stop(): void {
    this.#stopWatchingConnection?.();
    clearTimeout(this.#rediscovering);
    clearTimeout(this.#lookAgain);
    this.#lookAgain = undefined;
    this.#inbox = undefined;
    for (const subscription of this.#subscriptions.splice(0)) subscription.unsubscribe();
  }

  /** Names of the remote checkers currently registered. */
  names(): string[] {
    return [...this.#known.keys()];
  }

  /**
   * A checker goes where its `since` puts it among the announced ones: a live announcement on
   * top (it is the newest), an answer to `discover` below those announced after it, which arrive
   * in no particular order (answers without `since`, from other implementations, below the rest,
   * by name: nothing says which of them announced last, and every portal must at least agree).
   */
  #add(announced: Announcement, discovered: boolean): void {
    if (this.#local.has(announced.name)) return;
    this.#instanceKinds.note(announced.name, announced.instance, announced.kinds);
    const known = this.#known.get(announced.name);
    this.#recency.touch(announced.name);
    if (known === undefined && this.#known.size >= (this.options.maxCheckers ?? DEFAULT_MAX_CHECKERS)) this.#forgetLeastActive(announced.name);
    const instances = this.#instances.get(announced.name);
    // Another instance of a known checker, or an answer to `discover`: precedence unchanged. A
    // checker the portal dropped for having no responders comes back when it announces again.
    if (known !== undefined && instances !== undefined && this.portal.hasChecker(known)) {
      // Withdrawn without an instance but still served (below the others of its kinds): a live
      // announcement is its comeback, and goes on top, as it would on a portal that had dropped it.
      // Known only from answers to `discover` without `since` (built from PROTOCOL.md alone): its
      // first live announcement is its start, and goes on top too (an outside probe's checker,
      // starting while a discover was out, answered it first, and its announcement was then
      // taken for a repeat: the older checker kept the kind for good). Later ones are repeats.
      if (!discovered && (this.#precedence.isDemoted(known) || this.#precedence.rankOf(known) === Number.NEGATIVE_INFINITY)) this.#precedence.promote(known);
      const confirming = this.#confirming.get(announced.name);
      if (confirming === undefined || !confirming.leaving.has(announced.instance ?? "")) instances.add(announced.instance ?? "");
      // An answer without an id while one without an id leaves: the leaver's, or another
      // process's (two copies of a checker built from PROTOCOL.md alone). The round's end asks.
      else if (announced.instance === undefined) confirming.unnamedAnswer = true;
      // A checker whose processes name no instance cannot say which of them announced what: a
      // live announcement is a process starting (PROTOCOL.md), and its kinds are the name's from
      // now on. Otherwise one killed and started again with other kinds went on being routed by
      // its old ones, with no withdrawal to ever change them (an outside probe: an added kind
      // refused `UnhandledCredentials` for good, a removed one shadowing a live checker below).
      if (!discovered && announced.instance === undefined && onlyUnnamed(instances) && !sameKinds(announced.kinds, known.credentialKinds)) {
        this.#adoptKinds(announced.name, known, announced.kinds, "checker kinds changed: a process of it started announcing these");
      }
      return;
    }
    if (known !== undefined) {
      this.portal.unregisterChecker(known);
      this.#precedence.forget(known);
    }
    const checker = this.#makeChecker(announced.name, announced.kinds);
    this.#known.set(announced.name, checker);
    this.#instances.set(announced.name, new Set([announced.instance ?? ""]));
    this.#precedence.register(checker, discovered ? (announced.since ?? Number.NEGATIVE_INFINITY) : this.#precedence.newest());
    this.options.logger.info({ checker: announced.name, kinds: announced.kinds }, "checker registered");
  }

  #makeChecker(name: string, kinds: readonly string[]): RemoteChecker {
    const subjects = subjectsFor(this.options.prefix);
    const checker: RemoteChecker = new RemoteChecker(this.bus, name, kinds, {
      onAnswered: () => {
        if (this.#known.get(name) === checker) this.#recency.answered(name);
      },
      ...(this.options.prefix === undefined ? {} : { prefix: this.options.prefix }),
      ...(this.options.checkerTimeoutMs === undefined ? {} : { timeoutMs: this.options.checkerTimeoutMs }),
      instances: {
        list: () => [...(this.#instances.get(name) ?? [])].filter(isInstanceId),
        subject: (id) => subjects.checkerInstance(name, id),
        // Only the id: the checker itself stays while its subject is served (the probe says when it is not).
        gone: (id) => void this.#instances.get(name)?.delete(id),
      },
    });
    return checker;
  }

  /** After instances of `name` left: the checker takes the kinds every remaining one announced, when they agree and differ. */
  #adoptRemainingKinds(name: string, checker: RemoteChecker): void {
    const remaining = this.#instances.get(name);
    const kinds = remaining && this.#instanceKinds.changed(name, remaining, checker.credentialKinds);
    if (kinds !== undefined) this.#adoptKinds(name, checker, kinds, "checker kinds changed: every process serving it now announces these");
  }

  /** Checker `name` handles `kinds` from now on, keeping its place among the others. */
  #adoptKinds(name: string, checker: RemoteChecker, kinds: readonly string[], why: string): void {
    const replacement = this.#makeChecker(name, kinds);
    const since = this.#precedence.rankOf(checker) ?? this.#precedence.newest();
    const demoted = this.#precedence.isDemoted(checker);
    this.portal.unregisterChecker(checker);
    this.#precedence.forget(checker);
    this.#known.set(name, replacement);
    this.#precedence.register(replacement, since);
    if (demoted) this.#precedence.demote(replacement);
    this.options.logger.info({ checker: name, kinds, was: checker.credentialKinds }, why);
  }

  /**
   * One instance leaves; the checker goes when no other process serves it. Before it goes,
   * running checkers are asked to announce (`discover`) and the answers are awaited for
   * `CONFIRM_WITHDRAWAL_MS`: an instance this portal never heard of, or forgot (a withdrawal
   * without `instance` forgets them all), keeps it. An outside probe saw a withdrawal from a
   * checker built from PROTOCOL.md alone make every portal forget a live Portcullis instance of
   * the same name, then drop the checker for good when another instance stopped.
   */
  #remove(name: string, instance: string | undefined): void {
    const checker = this.#known.get(name);
    if (!checker) return;
    const instances = this.#instances.get(name);
    if (instance !== undefined && instances !== undefined) {
      if (!instances.has(instance)) return;
      instances.delete(instance);
      if (instances.size > 0) {
        this.options.logger.info({ checker: name, instances: instances.size }, "checker instance withdrawn");
        this.#adoptRemainingKinds(name, checker);
        // Asked on its own subject once it has had time to let go: a withdrawal anyone sent in its
        // name must not make the portal forget a live instance, which it would then never ask
        // after (an outside probe: such an instance stalled, and the 32 checks it held failed).
        if (isInstanceId(instance)) {
          setTimeout(() => {
            void this.#presence.stillServing(name, [instance], () => false).then((serving) => {
              if (serving.length === 0 || this.#known.get(name) !== checker) return;
              this.#instances.get(name)?.add(instance);
              this.options.logger.warn({ checker: name }, "ignored a withdrawal of a checker instance that still serves");
            });
          }, CONFIRM_WITHDRAWAL_MS).unref?.();
        }
        return;
      }
    }
    instances?.clear();
    if (this.#inbox === undefined) return this.#drop(name, checker);
    // A withdrawal that names no process is the checker's, as PROTOCOL.md has it: the previous
    // checker of its kinds takes new logins at once. If the round finds it still served (another
    // copy, or a process that withdrew and goes on serving), it stays, below them, as a fallback
    // (an outside probe's checker withdrew, went on answering, and kept every login).
    if (instance === undefined) this.#precedence.demote(checker);
    // Those leaving may still answer: they are ignored (by id, or, without one, any answer without
    // one). A withdrawal during a round starts another, with its own discover and its own 250 ms:
    // ending the round at once dropped a live checker on a second withdrawal without `instance`
    // 100 ms after the first (an outside fuzzer; the live one had answered the first round).
    const round = {};
    const confirming = this.#confirming.get(name);
    if (confirming === undefined) this.#confirming.set(name, { leaving: new Set([instance ?? ""]), round });
    else {
      confirming.leaving.add(instance ?? "");
      confirming.round = round;
    }
    try {
      this.bus.publish(this.#subjects.discover, DISCOVER, { reply: this.#inbox });
    } catch {
      this.#confirming.delete(name);
      return this.#drop(name, checker);
    }
    setTimeout(() => {
      const current = this.#confirming.get(name);
      if (current?.round !== round) return;
      if (this.#known.get(name) !== checker) return void this.#confirming.delete(name);
      const others = [...(this.#instances.get(name) ?? [])];
      // An answer without an instance id (a checker built from PROTOCOL.md alone) cannot be asked after: it is trusted.
      if (others.some((id) => !isInstanceId(id))) {
        this.#confirming.delete(name);
        this.options.logger.info({ checker: name, instances: others.length }, "checker instance withdrawn; others still serve it");
        return;
      }
      // The instances that answered, and those said to leave, are asked on their own subjects:
      // a withdrawal may name one that still serves (anyone with a service connection can send
      // one: an outside probe dropped a live checker with one message), and a process stopping
      // under load may still answer the round's discover before it lets go (an outside probe saw
      // a checker kept, all of whose processes had stopped). One that really stops has let go of
      // its own subject by now, and gets no-responders there.
      const asked = [...new Set([...others, ...[...current.leaving].filter(isInstanceId)])];
      // One that answered the round's discover and is only slow to answer now is kept.
      const busyCounts = (id: string) => others.includes(id) && !current.leaving.has(id);
      // An answer without an id came from the leaver or from another copy; only the checker's own
      // subject can tell, once the leaver has let go of it: an outside probe's two copies of a
      // PROTOCOL.md-only checker lost the name when one stopped (28,524 of 34,860 logins failed
      // over eight rolling restarts), since such answers were all set aside as the leaver's.
      const unnamed = current.unnamedAnswer === true ? this.#presence.servedAtAll(name) : Promise.resolve(false);
      void Promise.all([this.#presence.stillServing(name, asked, busyCounts), unnamed]).then(([serving, servedUnnamed]) => {
        if (this.#confirming.get(name)?.round !== round) return;
        this.#confirming.delete(name);
        if (this.#known.get(name) !== checker) return;
        if (servedUnnamed) serving.push("");
        if (serving.length === 0) return this.#drop(name, checker);
        this.#instances.set(name, new Set(serving));
        this.#adoptRemainingKinds(name, checker);
        if (current.leaving.has("") && this.#precedence.isDemoted(checker)) {
          this.options.logger.info({ checker: name }, "checker withdrawn; still served, so kept below the other checkers of its kinds");
        } else if (serving.some((id) => current.leaving.has(id))) this.options.logger.warn({ checker: name }, "ignored a withdrawal of a checker instance that still serves");
        else this.options.logger.info({ checker: name, instances: serving.length }, "checker instance withdrawn; others still serve it");
      });
    }, CONFIRM_WITHDRAWAL_MS).unref?.();
  }

  /** Makes room for `incoming`: forgets the known checker least recently announced or answering, one that never answered a check first. */
  #forgetLeastActive(incoming: string): void {
    const name = this.#recency.leastActive(incoming, (each) => this.#known.has(each));
    const checker = name === undefined ? undefined : this.#known.get(name);
    if (name === undefined || checker === undefined) return;
    this.#forget(name, checker);
    // Its kinds answer "try again" meanwhile, and the running checkers are asked to announce once
    // the burst is over: a live one comes back (an outside probe saw an idle live checker
    // forgotten in a flood of made-up names, and its kind refused as unsupported).
    this.#rediscover();
    this.#ignored.note(() => ({ event: "checker-limit", forgot: name, for: incoming }), "forgot the least recently active checker: this portal keeps as many as it may");
  }

  #rediscovering: ReturnType<typeof setTimeout> | undefined;

  /** Publishes `discover` once no checker has been forgotten for a second. */
  #rediscover(): void {
    clearTimeout(this.#rediscovering);
    this.#rediscovering = setTimeout(() => {
      this.#rediscovering = undefined;
      if (this.#inbox === undefined) return;
      try {
        this.bus.publish(this.#subjects.discover, DISCOVER, { reply: this.#inbox });
      } catch {
        // The bus is closing.
      }
    }, 1_000);
    this.#rediscovering.unref?.();
  }

  #drop(name: string, checker: RemoteChecker): void {
    checker.withdrawn();
    this.#forget(name, checker);
    this.options.logger.info({ checker: name }, "checker withdrawn");
  }

  /** Forgets checker `name`; its kinds answer "try again" for `withdrawnGraceMs`. */
  #forget(name: string, checker: RemoteChecker): void {
    this.#recency.forget(name);
    this.#instanceKinds.forget(name);
    this.#known.delete(name);
    this.#instances.delete(name);
    this.#precedence.forget(checker);
    this.portal.unregisterChecker(checker, { graceMs: this.options.withdrawnGraceMs ?? 30_000 });
  }

  /**
   * Runs `fn` for a directory message. PROTOCOL.md has these published, but one sent as a request
   * is answered, `{"ok": true}` or `BadRequest`, by every portal that hears it (as a revocation
   * is): nobody answered, and no queue group meant no no-responders either (an outside fuzzer's
   * requests all met silence).
   */
  #guard(message: BusMessage, fn: () => void): void {
    let reply: Uint8Array;
    try {
      fn();
      reply = okEmpty();
    } catch (error) {
      // Garbage on a broadcast subject is noted, not logged line by line (a flood of it wrote one
      // log line per message: an outside fuzzer's 60,000).
      const err = error instanceof Error ? error.message : String(error);
      this.#malformed.note(() => ({ err }), "ignored a malformed checker message");
      reply = errorReply(error instanceof BadRequest ? error : new BadRequest("invalid checker message"));
    }
    if (message.reply === undefined) return;
    try {
      message.respond(reply);
    } catch {
      // The bus closed meanwhile: nobody left to tell.
    }
  }

  readonly #malformed = new ThrottledWarning(() => this.options.logger);
  readonly #ignored = new ThrottledWarning(() => this.options.logger);
}

/** True when every process known to serve a checker announced without an instance id. */
function onlyUnnamed(instances: ReadonlySet<string>): boolean {
  return instances.size === 1 && instances.has("");
}
