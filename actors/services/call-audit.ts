/**
 * Whether the realm service a call was meant for still hosts its session. The portal sees every
 * call of a session whose avatar a realm service hosts (its `P.session.ID.>` subscription matches
 * it) but not the realm's answer, and NATS answers no-responders only when nobody at all is
 * subscribed: a call that reaches the portal alone, because the realm process died or let go of
 * the avatar a moment before, met silence. An outside probe killing a realm under 100 calling
 * sessions saw 45 calls unanswered; stopping one cleanly left some unanswered too.
 *
 * So after each such call the portal asks the realm's instance subject whether it still hosts the
 * session, batched per realm process over `batchMs`: a session still hosted was subscribed when
 * the call came (a realm never hosts a session again once it let go of it), so the realm has the
 * call; one no longer hosted, or a process without responders, leaves the portal to answer.
 */
import type { Bus } from "../../transports/bus.ts";
import { NoResponders } from "../../transports/errors.ts";
import { decodeObject, encode } from "../wire/codec.ts";
import { SESSIONS_PER_QUESTION } from "./session-reconciler.ts";

/** What the realm process said about a session: it has the call, it let go of the session, nobody is there, or no clear answer. */
export type CallFate = "hosted" | "released" | "unreachable" | "unknown";

/** How long calls are gathered before their realm process is asked about them, by default. */
export const DEFAULT_CALL_AUDIT_BATCH_MS = 50;

interface Batch {
  readonly waiting: Map<string, Array<(fate: CallFate) => void>>;
}

export class CallAudit {
  readonly #batches = new Map<string, Batch>();

  constructor(private readonly bus: Bus, private readonly batchMs = DEFAULT_CALL_AUDIT_BATCH_MS, private readonly timeoutMs = 2_000) {}

  /** Asks `peer` (a realm instance subject), with the other calls of this moment, whether it still hosts `session`. */
  check(peer: string, session: string): Promise<CallFate> {
    let batch = this.#batches.get(peer);
    if (batch === undefined) {
      const created: Batch = { waiting: new Map() };
      batch = created;
      this.#batches.set(peer, created);
      const timer = setTimeout(() => {
        this.#batches.delete(peer);
        void this.#ask(peer, created);
      }, this.batchMs);
      timer.unref();
    }
    const waiting = batch.waiting;
    return new Promise((resolve) => {
      const callers = waiting.get(session);
      if (callers) callers.push(resolve);
      else waiting.set(session, [resolve]);
    });
  }

  async #ask(peer: string, batch: Batch): Promise<void> {
    const sessions = [...batch.waiting.keys()];
    await Promise.all(
      Array.from({ length: Math.ceil(sessions.length / SESSIONS_PER_QUESTION) }, async (_, i) => {
        const asked = sessions.slice(i * SESSIONS_PER_QUESTION, (i + 1) * SESSIONS_PER_QUESTION);
        const fates = await this.#fates(peer, asked);
        for (const session of asked) for (const resolve of batch.waiting.get(session)!) resolve(fates(session));
      }),
    );
  }

  async #fates(peer: string, sessions: string[]): Promise<(session: string) => CallFate> {
    try {
      const reply = decodeObject(await this.bus.request(peer, encode({ sessions }), { timeoutMs: this.timeoutMs }));
      const ended = reply["ok"] === true ? reply["ended"] : undefined;
      if (!Array.isArray(ended)) return () => "unknown";
      const released = new Set(ended.filter((id): id is string => typeof id === "string"));
      return (session) => (released.has(session) ? "released" : "hosted");
    } catch (error) {
      return () => (error instanceof NoResponders ? "unreachable" : "unknown");
    }
  }
}
