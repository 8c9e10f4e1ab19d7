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
 *
 * A realm process also lets go of sessions on its own (it stops, its supervisor gives up): a call
 * can then reach the portal and not the realm, while the realm still answers "hosted" (its avatar
 * is still logging out). So the question names the calls too (their reply subjects), and the
 * realm says which it took: the portal answers exactly the others (an outside probe stopping a
 * realm under calling sessions saw calls answered twice, and some left to silence).
 */
import type { Bus } from "../../transports/bus.ts";
import { NoResponders } from "../../transports/errors.ts";
import { decodeObject, encode } from "../wire/codec.ts";
import { SESSIONS_PER_QUESTION } from "./session-reconciler.ts";

/**
 * What the realm process said about a call (or, asked without one, about its session): it took
 * the call; it did not, and still hosts the session (`missed-live`: a call lost while it was cut
 * off) or let go of it (`missed-ended`); from a realm that does not say which calls it took, only
 * whether it hosts the session; nobody is there; or no clear answer.
 */
export type CallFate = "took" | "missed-live" | "missed-ended" | "hosted" | "released" | "unreachable" | "unknown";

/** How long calls are gathered before their realm process is asked about them, by default. */
export const DEFAULT_CALL_AUDIT_BATCH_MS = 50;

interface Waiting {
  /** The call's reply subject; undefined for a question about the session alone. */
  readonly reply: string | undefined;
  readonly resolve: (fate: CallFate) => void;
}

export class CallAudit {
  readonly #batches = new Map<string, Map<string, Waiting[]>>();

  constructor(private readonly bus: Bus, private readonly batchMs = DEFAULT_CALL_AUDIT_BATCH_MS, private readonly timeoutMs = 2_000) {}

  /**
   * Asks `peer` (a realm instance subject), with the other calls of this moment, whether it took
   * the call answered on `reply` (without one: whether it still hosts `session`).
   */
  check(peer: string, session: string, reply?: string): Promise<CallFate> {
    let batch = this.#batches.get(peer);
    if (batch === undefined) {
      const created = new Map<string, Waiting[]>();
      batch = created;
      this.#batches.set(peer, created);
      const timer = setTimeout(() => {
        this.#batches.delete(peer);
        void this.#ask(peer, created);
      }, this.batchMs);
      timer.unref();
    }
    const waiting = batch;
    return new Promise((resolve) => {
      const entry = { reply, resolve };
      const callers = waiting.get(session);
      if (callers) callers.push(entry);
      else waiting.set(session, [entry]);
    });
  }

  async #ask(peer: string, batch: Map<string, Waiting[]>): Promise<void> {
    // Questions of at most SESSIONS_PER_QUESTION sessions and as many calls each.
    const questions: Array<Array<[string, Waiting[]]>> = [];
    let current: Array<[string, Waiting[]]> = [];
    let calls = 0;
    for (const entry of batch) {
      const replies = entry[1].filter((w) => w.reply !== undefined).length;
      if (current.length > 0 && (current.length >= SESSIONS_PER_QUESTION || calls + replies > SESSIONS_PER_QUESTION)) {
        questions.push(current);
        current = [];
        calls = 0;
      }
      current.push(entry);
      calls += replies;
    }
    if (current.length > 0) questions.push(current);
    await Promise.all(
      questions.map(async (asked) => {
        const fates = await this.#fates(peer, asked);
        for (const [session, waiting] of asked) for (const w of waiting) w.resolve(fates(session, w.reply));
      }),
    );
  }

  async #fates(peer: string, asked: Array<[string, Waiting[]]>): Promise<(session: string, reply: string | undefined) => CallFate> {
    const sessions = asked.map(([session]) => session);
    // A session with more calls than one question holds is asked about as a session only.
    const calls = asked.flatMap(([, waiting]) => waiting.flatMap((w) => (w.reply === undefined ? [] : [w.reply]))).slice(0, SESSIONS_PER_QUESTION);
    try {
      const question = calls.length > 0 ? { sessions, calls } : { sessions };
      const reply = decodeObject(await this.bus.request(peer, encode(question), { timeoutMs: this.timeoutMs }));
      const ended = reply["ok"] === true ? reply["ended"] : undefined;
      if (!Array.isArray(ended)) return () => "unknown";
      const released = new Set(ended.filter((id): id is string => typeof id === "string"));
      const tookList = reply["took"];
      // A realm that does not list the calls it took says only whether it hosts the session.
      if (!Array.isArray(tookList)) return (session) => (released.has(session) ? "released" : "hosted");
      const took = new Set(tookList.filter((r): r is string => typeof r === "string"));
      const askedCalls = new Set(calls);
      return (session, call) => {
        if (call !== undefined && askedCalls.has(call)) return took.has(call) ? "took" : released.has(session) ? "missed-ended" : "missed-live";
        return released.has(session) ? "released" : "hosted";
      };
    } catch (error) {
      return () => (error instanceof NoResponders ? "unreachable" : "unknown");
    }
  }
}
