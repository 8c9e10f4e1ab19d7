/**
 * Sends a session's `release` again when the realm process did not answer it.
 *
 * Core NATS delivers a message only to those subscribed at that moment: a release sent while the
 * realm process was reconnecting (a network blip, a nats-server restart) is lost, and a realm
 * written from PROTOCOL.md alone has no way to learn that it missed one. Its avatar then lived on
 * for good, answering `ok` to calls of a session that had ended (an outside probe: every run of a
 * logout during a 3 s cut of the realm's connection, and of sessions ending during a 3 s
 * nats-server restart). So a release that gets no answer is sent again, later and later, until
 * the realm process answers it (anything), or NATS answers no-responders (nobody holds the
 * session: the portal's own subscription of an ended session lingers only `endedLingerMs`), or
 * `delaysMs` run out. A realm that was only stopped gets each copy when it wakes; a second
 * release of a session it no longer holds is answered, or meets no-responders.
 *
 * The copies go out from reply subjects of their own, which the portal's own session handler
 * (live or lingering) ignores (`isRetry`): only the realm answers them.
 */
import type { Bus, BusSubscription } from "../../transports/bus.ts";
import { encode } from "../wire/codec.ts";
import type { Subjects } from "../wire/subjects.ts";

export interface ReleaseRetriesOptions {
  /** When the copies go out, after the release that went unanswered: default 1, 2, 4, 8, 16, 30, 60, 120 and 300 s apart (about 9 minutes). */
  readonly delaysMs?: readonly number[];
  /** How long each copy waits for an answer; default 5000 ms. */
  readonly timeoutMs?: number;
}

const DEFAULT_DELAYS_MS: readonly number[] = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 60_000, 120_000, 300_000];
const RELEASE = encode({});

interface Pending {
  readonly session: string;
  next: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class ReleaseRetries {
  readonly #delaysMs: readonly number[];
  readonly #timeoutMs: number;
  readonly #prefix: string;
  readonly #pending = new Map<string, Pending>();
  /** Copies out, by reply subject. */
  readonly #out = new Map<string, Pending>();
  #replies: BusSubscription | undefined;
  #sent = 0;

  constructor(
    private readonly bus: Bus,
    private readonly subjects: Subjects,
    options: ReleaseRetriesOptions = {},
  ) {
    this.#delaysMs = options.delaysMs ?? DEFAULT_DELAYS_MS;
    if (!this.#delaysMs.every((ms) => Number.isFinite(ms) && ms >= 0)) throw new RangeError("releaseRetries.delaysMs must be non-negative numbers of milliseconds");
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    if (!(Number.isFinite(this.#timeoutMs) && this.#timeoutMs > 0)) throw new RangeError(`releaseRetries.timeoutMs must be a positive number of milliseconds, got ${this.#timeoutMs}`);
    this.#prefix = bus.inbox();
  }

  /** True for the reply subject of one of these copies: the portal's session handlers leave them to the realm. */
  isRetry(reply: string | undefined): boolean {
    return reply !== undefined && reply.startsWith(this.#prefix) && reply.charCodeAt(this.#prefix.length) === 46; // "."
  }

  /** Sessions whose release is still being sent again. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Copies sent so far (for tests and metrics). */
  get sent(): number {
    return this.#sent;
  }

  /** The release of `session` went unanswered: it is sent again later (once per session at a time). */
  unanswered(session: string): void {
    if (this.#pending.has(session) || this.#delaysMs.length === 0) return;
    const pending: Pending = { session, next: 0, timer: undefined };
    this.#pending.set(session, pending);
    this.#schedule(pending);
  }

  /** Stops sending (the portal is closing). */
  close(): void {
    for (const pending of this.#pending.values()) clearTimeout(pending.timer);
    this.#pending.clear();
    this.#out.clear();
    try {
      this.#replies?.unsubscribe();
    } catch {
      // Closed with its bus.
    }
    this.#replies = undefined;
  }

  #schedule(pending: Pending): void {
    const delay = this.#delaysMs[pending.next++];
    if (delay === undefined) {
      this.#pending.delete(pending.session);
      return;
    }
    pending.timer = setTimeout(() => this.#send(pending), delay);
    pending.timer.unref?.();
  }

  #send(pending: Pending): void {
    const reply = `${this.#prefix}.${this.#sent.toString(36)}`;
    try {
      this.#replies ??= this.bus.subscribe(`${this.#prefix}.*`, (message) => {
        const answered = this.#out.get(message.subject);
        if (answered === undefined) return;
        this.#out.delete(message.subject);
        clearTimeout(answered.timer);
        // An answer, or NATS's no-responders status (empty): either way nobody holds the avatar unreleased.
        this.#pending.delete(answered.session);
      });
      this.bus.publish(this.subjects.sessionVerb(pending.session, "release"), RELEASE, { reply });
      this.#sent++;
    } catch {
      // The bus is closed or closing: nothing more can be sent, by any copy.
      this.close();
      return;
    }
    this.#out.set(reply, pending);
    pending.timer = setTimeout(() => {
      this.#out.delete(reply);
      this.#schedule(pending);
    }, this.#timeoutMs);
    pending.timer.unref?.();
  }
}
