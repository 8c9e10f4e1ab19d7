/**
 * The periodic question each end of a session asks the other's process: which of these sessions
 * are over on your side? A realm service asks each portal it hosts avatars for (`P.portal.ID`),
 * and a portal asks each realm service hosting its avatars (`P.realm.NAME.instance.ID`).
 *
 * The two ends normally tell each other (`release`, `failed`), but core NATS delivers nothing to
 * a process that is cut off: after a cut longer than the other end's `confirmMs`, one side has
 * let go of a session the other still holds, an avatar that would stay logged in for good or a
 * session whose calls nobody answers. A process that is gone altogether is the `InstanceWatch`'s
 * business, not this.
 */
import type { Bus } from "../../transports/bus.ts";
import { decodeObject, encode, okEmpty, okReply } from "../wire/codec.ts";
import { parse, sessionsQuestion } from "../wire/schemas.ts";
import { positive } from "./instance-watch.ts";

export interface SessionReconcilerOptions {
  /** How often the other processes are asked; default 15000 ms. */
  readonly everyMs?: number;
  /** Sessions younger than this are not asked about (their login may still be finishing); default 30000 ms. */
  readonly minAgeMs?: number;
  /** How long one question waits for its answer; default 5000 ms. */
  readonly timeoutMs?: number;
}

/** Session ids per question: 1000 × 22 characters stays far below NATS's 1 MiB payload limit. */
export const SESSIONS_PER_QUESTION = 1000;

interface Tracked {
  /** The other end's instance subject. */
  readonly peer: string;
  readonly since: number;
  readonly release: () => void;
  readonly live: (() => void) | undefined;
}

/**
 * The answer of an instance subject (`P.portal.ID`, `P.realm.NAME.instance.ID`): `{}` is "are
 * you there?"; `{"sessions": [...]}` also asks which of those ids are not live here, and with
 * `"calls": [reply subjects]` a realm process (`took` given) says which of those calls it took.
 */
export function answerSessionsQuestion(
  body: Record<string, unknown>,
  isLive: (session: string) => boolean,
  took?: (sessions: readonly string[], calls: readonly string[]) => string[],
): Uint8Array {
  const { sessions, calls } = parse(sessionsQuestion, body);
  if (sessions === undefined) return okEmpty();
  const ended = sessions.filter((id) => !isLive(id));
  return okReply(calls !== undefined && took !== undefined ? { ended, took: took(sessions, calls) } : { ended });
}

export class SessionReconciler {
  readonly #tracked = new Map<string, Tracked>();
  readonly #everyMs: number;
  readonly #minAgeMs: number;
  readonly #timeoutMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<void> | undefined;

  constructor(private readonly bus: Bus, options: SessionReconcilerOptions = {}) {
    this.#everyMs = positive("everyMs", options.everyMs ?? 15_000);
    // Zero is allowed: ask about every session, however young.
    this.#minAgeMs = options.minAgeMs === 0 ? 0 : positive("minAgeMs", options.minAgeMs ?? 30_000);
    this.#timeoutMs = positive("timeoutMs", options.timeoutMs ?? 5_000);
  }

  /**
   * Asks the process on `peer` (an instance subject) about `session` from now on; `release` runs
   * if it says the session is over, `live` each time it says the session is still live.
   */
  track(session: string, peer: string, release: () => void, live?: () => void): void {
    this.#tracked.set(session, { peer, since: performance.now(), release, live });
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

  /**
   * One round of questions (the timer's; exposed for tests). Never rejects. `everySession` asks
   * about young sessions too: after this process lost its connection, any of them may be over.
   */
  reconcile(everySession = false): Promise<void> {
    if (everySession) return this.#round(0);
    this.#running ??= this.#round(this.#minAgeMs).finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #round(minAgeMs: number): Promise<void> {
    const now = performance.now();
    const byPeer = new Map<string, string[]>();
    for (const [session, { peer, since }] of this.#tracked) {
      if (now - since < minAgeMs) continue;
      const sessions = byPeer.get(peer);
      if (sessions) sessions.push(session);
      else byPeer.set(peer, [session]);
    }
    const questions: Array<Promise<void>> = [];
    for (const [peer, sessions] of byPeer) {
      for (let i = 0; i < sessions.length; i += SESSIONS_PER_QUESTION) {
        questions.push(this.#ask(peer, sessions.slice(i, i + SESSIONS_PER_QUESTION)));
      }
    }
    await Promise.all(questions);
  }

  async #ask(peer: string, sessions: string[]): Promise<void> {
    let ended: unknown;
    try {
      const reply = decodeObject(await this.bus.request(peer, encode({ sessions }), { timeoutMs: this.#timeoutMs }));
      ended = reply["ok"] === true ? reply["ended"] : undefined;
    } catch {
      // Unreachable, slow or gone: the next round asks again (a dead process is the InstanceWatch's).
      return;
    }
    if (!Array.isArray(ended)) return;
    const over = new Set<string>();
    const asked = new Set(sessions);
    for (const session of ended) {
      // Only what was asked: one process's answer cannot end another's sessions.
      if (typeof session !== "string" || !asked.has(session)) continue;
      over.add(session);
      const tracked = this.#tracked.get(session);
      if (tracked?.peer === peer) tracked.release();
    }
    for (const session of sessions) {
      if (over.has(session)) continue;
      const tracked = this.#tracked.get(session);
      if (tracked?.peer === peer) tracked.live?.();
    }
  }
}
