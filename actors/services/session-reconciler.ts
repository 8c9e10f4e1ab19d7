/**
 * A realm service's periodic question to each portal it hosts avatars for: which of these
 * sessions are over? An avatar is normally released by the portal's `release`; one that missed
 * it (the realm was cut off from NATS longer than the portal's `confirmMs`, so the portal ended
 * the session and found nobody to release) would otherwise stay logged in for good. A portal
 * that is gone altogether is the `InstanceWatch`'s business, not this.
 */
import type { Bus } from "../../transports/bus.ts";
import { decodeObject, encode } from "../wire/codec.ts";
import type { Subjects } from "../wire/subjects.ts";

export interface SessionReconcilerOptions {
  /** How often the portals are asked; default 60000 ms. */
  readonly everyMs?: number;
  /** Sessions younger than this are not asked about (their login may still be finishing); default 30000 ms. */
  readonly minAgeMs?: number;
  /** How long one question waits for its answer; default 5000 ms. */
  readonly timeoutMs?: number;
}

/** Session ids per question: 1000 × 22 characters stays far below NATS's 1 MiB payload limit. */
export const SESSIONS_PER_QUESTION = 1000;

interface Tracked {
  readonly portal: string;
  readonly since: number;
  readonly release: () => void;
}

export class SessionReconciler {
  readonly #tracked = new Map<string, Tracked>();
  readonly #everyMs: number;
  readonly #minAgeMs: number;
  readonly #timeoutMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<void> | undefined;

  constructor(private readonly bus: Bus, private readonly subjects: Subjects, options: SessionReconcilerOptions = {}) {
    this.#everyMs = options.everyMs ?? 60_000;
    this.#minAgeMs = options.minAgeMs ?? 30_000;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    for (const [name, value] of [["everyMs", this.#everyMs], ["minAgeMs", this.#minAgeMs], ["timeoutMs", this.#timeoutMs]] as const) {
      if (!Number.isFinite(value) || value < 0 || (name !== "minAgeMs" && value === 0)) throw new RangeError(`${name} must be a positive number of milliseconds, got ${value}`);
    }
  }

  /** Asks `portal` about `session` from now on; `release` runs if the portal says it is over. */
  track(session: string, portal: string, release: () => void): void {
    this.#tracked.set(session, { portal, since: performance.now(), release });
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => void this.reconcile(), this.#everyMs);
      this.#timer.unref?.();
    }
  }

  /** Stops asking about `session` (it was released). */
  untrack(session: string): void {
    this.#tracked.delete(session);
    if (this.#tracked.size === 0) this.stop();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One round of questions (the timer's; exposed for tests). Never rejects. */
  reconcile(): Promise<void> {
    this.#running ??= this.#round().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #round(): Promise<void> {
    const now = performance.now();
    const byPortal = new Map<string, string[]>();
    for (const [session, { portal, since }] of this.#tracked) {
      if (now - since < this.#minAgeMs) continue;
      const sessions = byPortal.get(portal);
      if (sessions) sessions.push(session);
      else byPortal.set(portal, [session]);
    }
    const questions: Array<Promise<void>> = [];
    for (const [portal, sessions] of byPortal) {
      for (let i = 0; i < sessions.length; i += SESSIONS_PER_QUESTION) {
        questions.push(this.#ask(portal, sessions.slice(i, i + SESSIONS_PER_QUESTION)));
      }
    }
    await Promise.all(questions);
  }

  async #ask(portal: string, sessions: string[]): Promise<void> {
    let ended: unknown;
    try {
      const reply = decodeObject(await this.bus.request(this.subjects.portalInstance(portal), encode({ sessions }), { timeoutMs: this.#timeoutMs }));
      ended = reply["ok"] === true ? reply["ended"] : undefined;
    } catch {
      // Unreachable, slow or gone: the next round asks again (a dead portal is the InstanceWatch's).
      return;
    }
    if (!Array.isArray(ended)) return;
    const asked = new Set(sessions);
    for (const session of ended) {
      // Only what was asked: a portal's answer cannot release another portal's sessions.
      if (typeof session !== "string" || !asked.has(session)) continue;
      const tracked = this.#tracked.get(session);
      if (tracked?.portal === portal) tracked.release();
    }
  }
}
