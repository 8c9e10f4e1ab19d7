/** The client side of the protocol: log in through any portal on the bus. */
import type { Bus, BusSubscription } from "../../transports/bus.ts";
import { NoResponders } from "../../transports/errors.ts";
import { askRidingOutReconnects, watchReconnects } from "../../transports/reconnect-clock.ts";
import type { EndReason } from "../../machines/login-saga.ts";
import type { Credentials, WireCredentials } from "../credentials/credentials.ts";
import { fromWireError, LoginFailed } from "../errors.ts";
import { decodeObject, encode } from "../wire/codec.ts";
import { subjectsFor, type Subjects } from "../wire/subjects.ts";
import { RemoteSession, type LoginReply, type Notification } from "./remote-session.ts";

export interface ClientOptions {
  readonly prefix?: string;
  /** How long a login may take before it fails (default 15 s). */
  readonly timeoutMs?: number;
}

export interface LoginOptions {
  /** What the client can use, in order of preference; at least one. */
  readonly interfaces: readonly string[];
  /**
   * Receives this session's notifications; `true`: a Mind read with `session.notifications()`
   * only; absent: no Mind (Twisted's `mind=None`).
   */
  readonly mind?: ((notification: Notification) => void) | true;
  /** Ask the portal for a session token (seed 003): `session.token`, to log in elsewhere. */
  readonly issueToken?: boolean;
}

/** Logs in through the portals on a bus. */
export class PortalClient {
  readonly #subjects: Subjects;
  readonly #timeoutMs: number;

  constructor(private readonly bus: Bus, options: ClientOptions = {}) {
    this.#subjects = subjectsFor(options.prefix);
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    watchReconnects(bus);
  }

  /**
   * Logs in. Rejects with the protocol's error classes (`UnauthorizedLogin`,
   * `UnhandledCredentials`, `NoSuchInterface`, `RateLimited`, `BadRequest`, `LoginFailed`).
   */
  async login(credentials: Credentials | WireCredentials, options: LoginOptions): Promise<RemoteSession> {
    const wire = "toWire" in credentials && typeof credentials.toWire === "function" ? credentials.toWire() : credentials;
    return (await this.loginAt(this.#subjects.login, { credentials: wire }, options)).session;
  }

  /**
   * Asks a portal for a challenge (`P.challenge`): resolves to `{"id", "challenge", "expiresInMs"}`.
   * Rejects with `UnhandledCredentials`, `BadRequest`, `RateLimited` or `LoginFailed`.
   */
  async requestChallenge(fields: { readonly mechanism: string } & Record<string, unknown>): Promise<Record<string, unknown>> {
    let data: Uint8Array;
    try {
      const encoded = encode(fields);
      data = await askRidingOutReconnects(this.bus, () => this.bus.request(this.#subjects.challenge, encoded, { timeoutMs: this.#timeoutMs }));
    } catch (error) {
      if (error instanceof NoResponders) throw new LoginFailed("no portal is serving");
      throw error;
    }
    const reply = decodeObject(data);
    if (reply["ok"] !== true) throw fromWireError(reply["error"]);
    return reply;
  }

  /** The subjects of this client's portals. */
  get subjects(): Subjects {
    return this.#subjects;
  }

  /**
   * Sends a login request to `subject` (`P.login`, or `P.challenge.ID` for a challenge's answer)
   * with `fields` plus `interfaces` and `mind`, and resolves to the session and the full reply
   * (for mechanism fields such as scram-sha-256's `final`). Rejects as `login` does.
   */
  async loginAt(
    subject: string,
    fields: Record<string, unknown>,
    options: LoginOptions,
  ): Promise<{ session: RemoteSession; reply: Record<string, unknown> }> {
    let session: RemoteSession | undefined;
    let mindSubject: string | null = null;
    let subscription: BusSubscription | undefined;
    const early: Array<{ session?: unknown; type: string; event?: string; data?: unknown; reason?: EndReason }> = [];
    if (options.mind) {
      mindSubject = this.bus.inbox();
      subscription = this.bus.subscribe(mindSubject, (message) => {
        let body: Record<string, unknown>;
        try {
          body = decodeObject(message.data);
        } catch {
          return;
        }
        const item = body as { session?: unknown; type: string; event?: string; data?: unknown; seq?: unknown; reason?: EndReason };
        if (!session) early.push(item);
        else dispatch(session, item);
      });
    }
    let data: Uint8Array;
    try {
      const encoded = encode({ ...fields, interfaces: options.interfaces, mind: mindSubject, ...(options.issueToken ? { issueToken: true } : {}) });
      // A portal not back yet from a nats-server restart: asked again for a moment, not reported as missing.
      data = await askRidingOutReconnects(this.bus, () => this.bus.request(subject, encoded, { timeoutMs: this.#timeoutMs }));
    } catch (error) {
      subscription?.unsubscribe();
      if (error instanceof NoResponders) throw new LoginFailed("no portal is serving");
      throw error;
    }
    const reply = decodeObject(data);
    if (reply["ok"] !== true) {
      subscription?.unsubscribe();
      throw fromWireError(reply["error"]);
    }
    const callback = typeof options.mind === "function" ? options.mind : undefined;
    session = new RemoteSession(this.bus, this.#subjects, reply as unknown as LoginReply, subscription, callback);
    for (const item of early) dispatch(session, item);
    return { session, reply };
  }
}

function dispatch(session: RemoteSession, item: { session?: unknown; type: string; event?: string; data?: unknown; seq?: unknown; reason?: EndReason }): void {
  // Only this session's messages: anything else on the subject is not its Mind's to hear.
  if (item.session !== session.id) return;
  if (item.type === "notify" && typeof item.event === "string") session.deliver({ event: item.event, data: item.data ?? null }, item.seq);
  else if (item.type === "ended" && typeof item.reason === "string") session.ended(item.reason, item.seq);
}

/** A client for the portals on `bus`. */
export function connect(bus: Bus, options: ClientOptions = {}): PortalClient {
  return new PortalClient(bus, options);
}
