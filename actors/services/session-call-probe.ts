/**
 * Watches the realm process behind a session whose realm named no `instance` (one written from
 * PROTOCOL.md alone). Such a process cannot be asked after on a subject of its own, and NATS never
 * answers no-responders for it: the portal's own `P.session.ID.>` subscription matches every call.
 * Calls to the sessions of such a realm that died met silence for as long as their clients kept
 * them alive (an outside probe: 14 of 14 and 9 of 9 calls silent after a SIGKILL).
 *
 * So when such a session's calls come, the portal sends `{}` on the session's own call subject,
 * from a reply subject that its session handler ignores. A realm process still subscribed answers
 * it (PROTOCOL.md: a missing field gets `BadRequest`); a dead one, or one that let go of the session
 * without saying so, leaves only the portal's subscription, which ignores it: a timeout. A timeout
 * alone cannot tell a dead process from a busy one, so the realm counts as gone only after
 * `goneAfterMs` of nothing but timeouts, with the portal connected all that time; the session then
 * ends with `avatar-failed` and its calls get `SessionEnded`. Only sessions making calls are asked,
 * at most once per `freshMs` each while the realm answers.
 *
 * Sooner when no process serves the realm at all: a probe unanswered while `P.realm.NAME.avatar`
 * gets NATS's no-responders, again at a probe `unservedConfirmMs` later, is a realm that is gone
 * (every process of it died), not a busy one: a busy or stopped process keeps its subscriptions.
 * The confirmation lets a realm ride out a reconnect of its own. A realm that stopped taking
 * logins (unsubscribed `avatar`) but keeps its sessions looks the same once it also stalls (an
 * outside probe: such a realm stopped for 10 s lost its calling sessions, 8.6 s into the stall):
 * so after answered probes the portal asks, at most once per `freshMs`, whether anyone serves the
 * realm, and a realm that answers a probe sent after nobody did is not judged by that again until
 * it is served once more. Only one that stalls within seconds of closing to logins is still taken
 * for dead after `unservedConfirmMs`; it gets the release when it wakes.
 */
import type { Bus, BusSubscription } from "../../transports/bus.ts";
import { encode } from "../wire/codec.ts";
import type { HostState, WatchedHost } from "./instance-watch.ts";
import { positive } from "./instance-watch.ts";

/** A watched session: what any watched host answers, and its pings. */
export interface ProbedHost extends WatchedHost {
  /**
   * The session's client pinged: a session that only pings is asked too, but only when nothing
   * was asked for goneAfterMs (a session with no calls costs its realm one probe per that long).
   */
  pinged(): void;
}

export interface SessionCallProbeOptions {
  /** How long a probe waits for the realm's answer; default 2000 ms. */
  readonly timeoutMs?: number;
  /** At most one probe per session in this long while the realm answers them; default 5000 ms. */
  readonly freshMs?: number;
  /** How long the realm may leave every probe unanswered before it counts as gone; default 30000 ms. */
  readonly goneAfterMs?: number;
  /**
   * How long nobody may serve the realm at all, every probe meanwhile unanswered, before it counts
   * as gone without waiting for goneAfterMs; default 5000 ms (as `InstanceWatch`'s `confirmMs`).
   */
  readonly unservedConfirmMs?: number;
}

/** Resolves true when a request on the realm's avatar subject gets NATS's no-responders (`ServedProbe.nobodyServes`). */
export type NobodyServes = () => Promise<boolean>;

interface Probed {
  readonly subject: string;
  readonly onLost: () => void;
  gone: boolean;
  /** When the last probe was sent. */
  lastSentAt: number;
  /** When a probe first went unanswered, since the last answer (and since the portal's connection was last back). */
  silentSince: number | undefined;
  /** When an unanswered probe first found nobody serving the realm, since it was last served (or answered). */
  unservedSince: number | undefined;
  asking: Promise<HostState> | undefined;
  /** A probe due freshMs after the last one, for a call that came since. */
  later: ReturnType<typeof setTimeout> | undefined;
  /** A call came while a probe was out: another follows it. */
  followUp: boolean;
  /** The reply subject of the probe out now, and whether the session's subscription has heard it (it was routed). */
  outstanding: string | undefined;
  outstandingRouted: boolean;
}

/** What a probe sends: a call without a method, which a realm refuses with `BadRequest`. */
const PROBE = encode({});

export class SessionCallProbe {
  readonly #timeoutMs: number;
  readonly #freshMs: number;
  readonly #goneAfterMs: number;
  readonly #unservedConfirmMs: number;
  readonly #prefix: string;
  readonly #waiting = new Map<string, (answered: boolean) => void>();
  /** Each probe out, by reply subject. */
  readonly #outstanding = new Map<string, Probed>();
  /** Probes that timed out, for goneAfterMs: a late answer still shows the realm is there. */
  readonly #late = new Map<string, Probed>();
  readonly #watched = new Set<Probed>();
  #replies: BusSubscription | undefined;
  #watchingConnection = false;
  #next = 0;
  /** When an answered probe last led to asking whether anyone serves the realm. */
  #servedAskedAt = Number.NEGATIVE_INFINITY;
  /** When an answered probe was followed by nobody serving the realm (it stopped taking logins, or died just then). */
  #unservedAt: number | undefined;
  /** A probe sent after that was answered: the realm stopped taking logins, it is not gone. */
  #closedToLogins = false;

  /** `nobodyServes`: whether any process still serves the realm; without it, only goneAfterMs finds a realm gone. */
  constructor(
    private readonly bus: Bus,
    options: SessionCallProbeOptions = {},
    private readonly nobodyServes?: NobodyServes,
  ) {
    this.#timeoutMs = positive("timeoutMs", options.timeoutMs ?? 2_000);
    this.#freshMs = positive("freshMs", options.freshMs ?? 5_000);
    this.#goneAfterMs = positive("goneAfterMs", options.goneAfterMs ?? 30_000);
    this.#unservedConfirmMs = positive("unservedConfirmMs", options.unservedConfirmMs ?? 5_000);
    this.#prefix = bus.inbox();
  }

  /** True for the reply subject of one of this probe's own messages: the session handler ignores those. */
  isProbe(reply: string | undefined): boolean {
    return reply !== undefined && reply.startsWith(this.#prefix) && reply.charCodeAt(this.#prefix.length) === 46; // "."
  }

  /** Watches the session whose call subject is `subject`; `onLost` runs once if its realm process is found gone. */
  watch(subject: string, onLost: () => void): ProbedHost {
    const probed: Probed = {
      subject,
      onLost,
      gone: false,
      lastSentAt: Number.NEGATIVE_INFINITY,
      silentSince: undefined,
      unservedSince: undefined,
      asking: undefined,
      later: undefined,
      followUp: false,
      outstanding: undefined,
      outstandingRouted: false,
    };
    this.#watched.add(probed);
    // Timeouts while the portal could not reach NATS say nothing about the realm.
    if (!this.#watchingConnection) {
      this.#watchingConnection = true;
      this.bus.onConnectionChange?.(() => {
        for (const each of this.#watched) {
          each.silentSince = undefined;
          each.unservedSince = undefined;
        }
      });
    }
    return {
      state: () => this.#state(probed),
      known: () => (probed.gone ? "gone" : "alive"),
      recheck: () => this.#ask(probed),
      pinged: () => {
        if (!probed.gone && probed.silentSince === undefined && performance.now() - probed.lastSentAt >= this.#goneAfterMs) this.#followUp(probed);
      },
      unwatch: () => {
        this.#watched.delete(probed);
        clearTimeout(probed.later);
      },
    };
  }

  #state(probed: Probed): Promise<HostState> {
    if (probed.gone) return Promise.resolve("gone");
    // In doubt already: the probes run back to back until it answers or is gone.
    if (probed.silentSince !== undefined) return this.#ask(probed);
    this.#followUp(probed);
    // A probe routed before this call and still unanswered decides for it too: if nothing answers
    // the probe, nothing took the call either (an outside probe saw calls sent while such a probe
    // was out left to silence, though the realm was then found dead). Otherwise the realm's last
    // answer stands until the probe that follows this call.
    if (probed.asking !== undefined && probed.outstandingRouted) return probed.asking;
    return Promise.resolve("alive");
  }

  /** A session's subscription heard the probe answered on `reply`: the calls it hears later were routed after the probe. */
  heard(reply: string): void {
    const probed = this.#outstanding.get(reply);
    if (probed !== undefined && probed.outstanding === reply) probed.outstandingRouted = true;
  }

  /**
   * Makes sure a probe is sent after this moment (a call came), at most one per freshMs: only a
   * probe sent after a call can tell whether the realm was still there for it.
   */
  #followUp(probed: Probed): void {
    if (probed.later !== undefined || probed.followUp) return;
    if (probed.asking !== undefined) {
      probed.followUp = true;
      return;
    }
    const delay = Math.max(0, probed.lastSentAt + this.#freshMs - performance.now());
    probed.later = setTimeout(() => {
      probed.later = undefined;
      if (this.#watched.has(probed)) void this.#ask(probed);
    }, Math.ceil(delay));
    probed.later.unref?.();
  }

  #ask(probed: Probed): Promise<HostState> {
    if (probed.gone) return Promise.resolve("gone");
    if (probed.asking !== undefined) return probed.asking;
    probed.lastSentAt = performance.now();
    const asking = this.#probe(probed).then(async (answered): Promise<HostState> => {
      if (!answered && this.#watched.has(probed)) await this.#askServed(probed);
      probed.asking = undefined;
      if (!this.#watched.has(probed)) return "busy";
      if (answered) {
        probed.silentSince = undefined;
        probed.unservedSince = undefined;
        if (this.#unservedAt !== undefined && probed.lastSentAt > this.#unservedAt) this.#closedToLogins = true;
        this.#noteAnswered();
        if (probed.followUp) {
          probed.followUp = false;
          this.#followUp(probed);
        }
        return "alive";
      }
      const now = performance.now();
      probed.silentSince ??= now;
      const unserved = probed.unservedSince !== undefined && now - probed.unservedSince >= this.#unservedConfirmMs;
      if (now - probed.silentSince < this.#goneAfterMs && !unserved) {
        // Asked again, calls or not, until it answers or is gone: the verdict rests on every probe
        // of the window going unanswered, not on two calls' probes far apart. One per timeoutMs
        // at most: a no-responders status comes back at once.
        const again = setTimeout(() => {
          if (this.#watched.has(probed)) void this.#ask(probed);
        }, Math.max(0, probed.lastSentAt + this.#timeoutMs - now));
        again.unref?.();
        return "busy";
      }
      probed.gone = true;
      this.#watched.delete(probed);
      probed.onLost();
      return "gone";
    });
    probed.asking = asking;
    return asking;
  }

  /** After an unanswered probe: notes since when nobody serves the realm (forgets it when someone does). */
  async #askServed(probed: Probed): Promise<void> {
    if (this.nobodyServes === undefined) return;
    const nobody = await this.nobodyServes().catch(() => false);
    if (!nobody) {
      probed.unservedSince = undefined;
      this.#unservedAt = undefined;
      this.#closedToLogins = false;
    } else if (!this.#closedToLogins) probed.unservedSince ??= performance.now();
  }

  /**
   * After an answered probe, now and then, asks whether anyone serves the realm. A realm that
   * answers a probe sent after nobody did has only stopped taking logins; one answer before it
   * proves nothing (the realm may have died just then: a test's did, between the two).
   */
  #noteAnswered(): void {
    const now = performance.now();
    if (this.nobodyServes === undefined || now - this.#servedAskedAt < this.#freshMs) return;
    this.#servedAskedAt = now;
    void this.nobodyServes().then(
      (nobody) => {
        if (nobody) this.#unservedAt ??= performance.now();
        else {
          this.#unservedAt = undefined;
          this.#closedToLogins = false;
        }
      },
      () => undefined,
    );
  }

  /** Resolves true when something answers `{}` on the session's call subject within the timeout. */
  #probe(probed: Probed): Promise<boolean> {
    this.#replies ??= this.bus.subscribe(`${this.#prefix}.*`, (message) => {
      // Empty: NATS's no-responders status, nobody there at all.
      const answered = message.data.length > 0;
      const resolve = this.#waiting.get(message.subject);
      if (resolve !== undefined) {
        this.#waiting.delete(message.subject);
        resolve(answered);
        return;
      }
      // An answer after the probe's timeout: a slow realm, not a dead one (an outside probe's
      // realm answered in 2.5 s, and its live sessions were ended, their avatars left running).
      const late = this.#late.get(message.subject);
      this.#late.delete(message.subject);
      if (late !== undefined && answered && !late.gone) late.silentSince = undefined;
    });
    const reply = `${this.#prefix}.${(this.#next++).toString(36)}`;
    probed.outstanding = reply;
    probed.outstandingRouted = false;
    this.#outstanding.set(reply, probed);
    const settled = (answered: boolean): boolean => {
      this.#outstanding.delete(reply);
      if (probed.outstanding === reply) probed.outstanding = undefined;
      return answered;
    };
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(reply);
        this.#late.set(reply, probed);
        setTimeout(() => this.#late.delete(reply), this.#goneAfterMs).unref?.();
        resolve(false);
      }, this.#timeoutMs);
      timer.unref?.();
      this.#waiting.set(reply, (answered) => {
        clearTimeout(timer);
        resolve(answered);
      });
      try {
        this.bus.publish(probed.subject, PROBE, { reply });
      } catch {
        // The connection is closing: nothing to learn.
        clearTimeout(timer);
        this.#waiting.delete(reply);
        resolve(false);
      }
    }).then(settled);
  }
}
