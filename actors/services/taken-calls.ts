/**
 * The calls a realm process took, by session: the reply subjects of each session's last moments,
 * kept a while past the session's release. The portal sees every call of its sessions but not
 * the realm's answers; this is how the realm tells it which calls are its own to answer (in its
 * answer to a release, in its shutdown notice, and to a call's audit), so that each call gets
 * exactly one answer.
 */

interface Took {
  readonly reply: string;
  readonly at: number;
}

interface Released {
  readonly calls: Took[];
  readonly at: number;
}

/** How far back a Portcullis realm process remembers the calls it took, by default. */
export const TAKEN_CALLS_WINDOW_MS = 2_000;

export class TakenCalls {
  readonly #live = new Map<string, Took[]>();
  /** In release order, so the oldest are at the front. */
  readonly #released = new Map<string, Released>();

  /** `windowMs`: how far back a session's calls are remembered; `limit`: at most this many per session. */
  constructor(private readonly windowMs = TAKEN_CALLS_WINDOW_MS, private readonly limit = 1_024) {}

  /** A call with reply subject `reply` reached the process for `session`. */
  note(session: string, reply: string): void {
    let calls = this.#live.get(session);
    if (calls === undefined) this.#live.set(session, (calls = []));
    const at = performance.now();
    calls.push({ reply, at });
    // The calls of the last moments only: those a logout or a stop can race. A flood keeps at most `limit`.
    while (calls.length > this.limit || calls[0]!.at < at - this.windowMs) calls.shift();
  }

  /** The reply subjects of the session's recent calls, live or released. */
  list(session: string): string[] {
    const calls = this.#live.get(session) ?? this.#released.get(session)?.calls ?? [];
    return calls.map((call) => call.reply);
  }

  /** The session takes no more calls: its list is kept `windowMs` more, for the audits of its last calls. */
  release(session: string): void {
    const calls = this.#live.get(session);
    this.#live.delete(session);
    const now = performance.now();
    for (const [id, released] of this.#released) {
      if (released.at >= now - this.windowMs) break;
      this.#released.delete(id);
    }
    if (calls !== undefined) this.#released.set(session, { calls, at: now });
  }

  /** Which of `replies` this process took, among the calls of `sessions`. */
  took(sessions: readonly string[], replies: readonly string[]): string[] {
    const asked = new Set(replies);
    const found: string[] = [];
    for (const session of sessions) {
      const calls = this.#live.get(session) ?? this.#released.get(session)?.calls;
      if (calls === undefined) continue;
      for (const call of calls) if (asked.has(call.reply)) found.push(call.reply);
    }
    return found;
  }
}
