/** Finding out, while a request waits, that nobody serves its subject any more. */
import type { Bus } from "../../transports/bus.ts";
import { NoResponders, RequestTimeout } from "../../transports/errors.ts";
import { encode } from "../wire/codec.ts";

/** How often a request still unanswered asks: a killed service costs its callers about this much, not their timeout. */
export const DEFAULT_PROBE_EVERY_MS = 1000;

/**
 * How long a service that said it is leaving (a checker's withdraw) has to answer what it took
 * before requests still waiting ask again whether anyone serves it: a Portcullis checker answers
 * its checks while it drains, but one built from PROTOCOL.md alone that withdraws and exits at once
 * left its checks to wait out their timeout (an outside probe: 8 of 8 logins, 10 s, then LoginFailed).
 */
export const DEFAULT_DRAIN_MS = 2000;

/** What a probe sends: an empty object, which every service answers, if only with `BadRequest` (any answer will do). */
const PROBE = encode({});

/**
 * A request sent to a process that is then killed (SIGKILL, a crash) is never answered, and NATS
 * does not say so, nor at once for requests sent in the ~20 ms before nats-server sees the
 * connection close: every caller waited out its timeout (an outside probe: 40 of 40 logins in
 * flight to a killed checker, 10 s each). So while a request waits, this asks every `everyMs`
 * whether anyone still serves its subject, one probe at a time for all the requests waiting on
 * it. While one instance still answers, nothing says which instance took a request; but when the
 * service's processes name themselves (`ServiceInstances`), each is asked too, and one found gone
 * may have taken requests with it: those still waiting are told (`onInstanceLost`) to ask again.
 * An outside probe killing one of two checker processes saw 6–15 logins per kill wait 10 s and fail.
 *
 * A process that is only stopped (SIGSTOP, a VM pause, an event loop stuck in a loop) keeps its
 * subscriptions: NATS goes on handing it requests and never says no-responders. One whose own
 * subject does not answer within `everyMs` while another instance's does is taken for *stalled*
 * and counts as lost for the requests waiting, which are sent again to an instance that answered
 * (the queue group could hand them back to the stalled one); it is not forgotten, and its late
 * answers race the new ones, the first winning. A round in which no instance answers says nothing
 * (every process is busy alike).
 */
export class ServedProbe {
  #probing: Promise<boolean> | undefined;
  #probingInstances: Promise<void> | undefined;
  /** When an instance was last found gone or stalled (performance.now()). */
  #lastLossAt = Number.NEGATIVE_INFINITY;
  /** The instances that answered the last round, so requests are sent again to one of them. */
  #answering: readonly string[] = [];
  /** Instances taken for stalled, until they answer again: new requests go around them. */
  readonly #stalled = new Set<string>();
  /** Asks the instances every `everyMs` while one is stalled, so its recovery is noticed. */
  #stallWatch: ReturnType<typeof setInterval> | undefined;
  /** Until when (performance.now()) no verdict is given: the service said it is leaving, and drains. */
  #standDownUntil = Number.NEGATIVE_INFINITY;

  get #stoodDown(): boolean {
    return performance.now() < this.#standDownUntil;
  }

  constructor(
    private readonly bus: Bus,
    readonly subject: string,
    readonly everyMs: number = DEFAULT_PROBE_EVERY_MS,
    private readonly instances?: ServiceInstances,
  ) {
    if (!Number.isFinite(everyMs) || everyMs <= 0) throw new RangeError("probeEveryMs must be a positive number of milliseconds");
  }

  /**
   * While an instance is stalled and others answer: the ones that answered the last round, for new
   * requests to go to directly (the queue group would hand the stalled one its share, each to wait
   * seconds: an outside probe saw 98% fewer logins/s while one of three checker processes was
   * stopped). Undefined otherwise.
   */
  get detour(): readonly string[] | undefined {
    return this.#stalled.size > 0 && this.#answering.length > 0 ? this.#answering : undefined;
  }

  /**
   * No verdicts for `drainMs`: the service said it is leaving (a checker's withdraw), and while it
   * drains its subject has no subscriber though it still answers what it took. Requests still
   * waiting after that ask again, and one that finds nobody serving the subject is told so.
   */
  standDown(drainMs = DEFAULT_DRAIN_MS): void {
    this.#standDownUntil = performance.now() + drainMs;
    this.#stalled.clear();
    clearInterval(this.#stallWatch);
    this.#stallWatch = undefined;
  }

  /**
   * Rejects with `NoResponders` once nobody serves the subject while `asked` is unsettled; never
   * settles otherwise. `onInstanceLost` runs at most once, when an instance of the service is
   * found gone or stalled after `asked` was sent and it is still unanswered, with the instances
   * that answered that round.
   */
  untilGone(asked: Promise<unknown>, onInstanceLost?: (answering: readonly string[]) => void): Promise<never> {
    const sentAt = performance.now();
    return new Promise((_, reject) => {
      let settled = false;
      let told = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const next = (): void => {
        // While the service drains, its subject has no subscriber: ask again once it has had its time.
        timer = setTimeout(() => {
          if (this.#stoodDown) return next();
          void this.nobodyServes().then(async (gone) => {
            if (settled) return;
            if (this.#stoodDown) return next();
            if (gone) return reject(new NoResponders(this.subject));
            if (onInstanceLost !== undefined && !told && this.instances !== undefined) {
              await this.#probeInstances(this.instances);
              if (settled) return;
              if (this.#stoodDown) return next();
              if (this.#lastLossAt > sentAt) {
                told = true;
                onInstanceLost(this.#answering);
              }
            }
            next();
          });
        }, Math.max(this.everyMs, this.#standDownUntil - performance.now()));
      };
      next();
      const stop = (): void => {
        settled = true;
        clearTimeout(timer);
      };
      asked.then(stop, stop);
    });
  }

  /** Asks every known instance, all requests waiting sharing one round; a gone one is forgotten. */
  #probeInstances(instances: ServiceInstances): Promise<void> {
    this.#probingInstances ??= Promise.all(
      instances.list().map((id) =>
        this.bus.request(instances.subject(id), PROBE, { timeoutMs: this.everyMs }).then(
          () => ({ id, fate: "answered" as const }),
          (error: unknown) => ({ id, fate: error instanceof NoResponders ? ("gone" as const) : error instanceof RequestTimeout ? ("silent" as const) : ("unknown" as const) }),
        ),
      ),
    )
      .then((round) => {
        const answering = round.filter((r) => r.fate === "answered").map((r) => r.id);
        this.#answering = answering;
        for (const { id, fate } of round) {
          if (fate === "gone") instances.gone(id);
          const stalled = fate === "silent" && answering.length > 0;
          if (fate === "gone" || stalled) this.#lastLossAt = performance.now();
          if (stalled) this.#stalled.add(id);
          else if (fate !== "unknown") this.#stalled.delete(id);
        }
        // One no longer known (it withdrew, or was found gone) is no longer gone around.
        const asked = new Set(round.map((r) => r.id));
        for (const id of this.#stalled) if (!asked.has(id)) this.#stalled.delete(id);
        this.#watchStalled(instances);
      })
      .finally(() => {
        this.#probingInstances = undefined;
      });
    return this.#probingInstances;
  }

  #watchStalled(instances: ServiceInstances): void {
    if (this.#stalled.size === 0 || this.#stoodDown) {
      clearInterval(this.#stallWatch);
      this.#stallWatch = undefined;
      return;
    }
    if (this.#stallWatch !== undefined) return;
    this.#stallWatch = setInterval(() => void this.#probeInstances(instances), this.everyMs);
    this.#stallWatch.unref?.();
  }

  /** True when a request on the subject gets no-responders (one request at a time, shared by every caller). */
  nobodyServes(): Promise<boolean> {
    this.#probing ??= this.bus
      .request(this.subject, PROBE, { timeoutMs: this.everyMs })
      .then(
        () => false,
        (error: unknown) => error instanceof NoResponders,
      )
      .finally(() => {
        this.#probing = undefined;
      });
    return this.#probing;
  }
}

/** The processes serving one subject that named themselves, each answering on a subject of its own. */
export interface ServiceInstances {
  /** The instance ids known now. */
  list(): readonly string[];
  subject(id: string): string;
  /** Found without responders: forget it (a process back from a blip announces itself again). */
  gone(id: string): void;
}
