/** The portal's side of session tokens: issuing them, and ending every session a revoked token opened. */
import { decodeJwt } from "jose";
import type { Bus, BusSubscription } from "../../transports/bus.ts";
import type { AvatarId } from "../checkers/checker.ts";
import type { Logger } from "../logger.ts";
import type { TokenAuthority } from "../tokens/token-authority.ts";
import { decodeObject, encode } from "../wire/codec.ts";
import type { Subjects } from "../wire/subjects.ts";

/** What the portal can end when a token is revoked. */
export interface RevocableSession {
  revoke(): Promise<unknown>;
  readonly ended: Promise<unknown>;
}

/** The subject on which every portal hears revocations (internal: clients may not publish it). */
export function revokeSubject(subjects: Subjects): string {
  return `${subjects.prefix}.tokens.revoke`;
}

/**
 * Tracks which live sessions each token id opened (the login that asked for it, and every login
 * made with it). A revocation, announced on `P.tokens.revoke` so every portal sharing the key
 * hears it, goes on the authority's list and ends those sessions with reason `revoked`.
 */
export class TokenSessions {
  readonly #byJti = new Map<string, Set<RevocableSession>>();
  #subscription: BusSubscription | undefined;
  #unlisten: (() => void) | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly subjects: Subjects,
    readonly authority: TokenAuthority,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.#unlisten = this.authority.revocations.onRevoke((jti) => this.#endSessionsOf(jti));
    this.#subscription = this.bus.subscribe(revokeSubject(this.subjects), (message) => {
      try {
        const body = decodeObject(message.data);
        if (typeof body["jti"] === "string" && typeof body["expiresAt"] === "number") {
          this.authority.revoke({ jti: body["jti"], expiresAt: body["expiresAt"] });
        }
      } catch {
        // Garbage on a broadcast subject has nobody to answer to.
      }
      if (message.reply !== undefined) message.respond(encode({ ok: true }));
    });
  }

  stop(): void {
    this.#subscription?.unsubscribe();
    this.#unlisten?.();
  }

  /** Issues a token for a fresh session and ties the session to it. */
  async issue(avatarId: AvatarId, session: RevocableSession): Promise<{ token: string; tokenExpiresAt: number }> {
    const { token, claims } = await this.authority.issue(avatarId);
    this.#track(claims.jti, session);
    return { token, tokenExpiresAt: claims.expiresAt };
  }

  /** Ties a session opened with `token` (already verified by the checker) to that token. */
  trackLoginWith(token: string, session: RevocableSession): void {
    try {
      const jti = decodeJwt(token).jti;
      if (typeof jti === "string") this.#track(jti, session);
    } catch {
      // Verified tokens decode; nothing to track otherwise.
    }
  }

  /** Revokes a token by its text (read, not verified: revoking a forged token is harmless). */
  async revokeToken(token: string): Promise<void> {
    const { jti, exp } = decodeJwt(token);
    if (typeof jti !== "string" || typeof exp !== "number") throw new TypeError("not a session token");
    await this.revoke({ jti, expiresAt: exp * 1000 });
  }

  /** Revokes at every portal listening on the bus. */
  async revoke(claims: { jti: string; expiresAt: number }): Promise<void> {
    this.authority.revoke(claims);
    this.bus.publish(revokeSubject(this.subjects), encode(claims));
    await this.bus.flush();
  }

  #track(jti: string, session: RevocableSession): void {
    let sessions = this.#byJti.get(jti);
    if (!sessions) this.#byJti.set(jti, (sessions = new Set()));
    sessions.add(session);
    void session.ended.then(() => {
      sessions.delete(session);
      if (sessions.size === 0 && this.#byJti.get(jti) === sessions) this.#byJti.delete(jti);
    });
  }

  #endSessionsOf(jti: string): void {
    const sessions = this.#byJti.get(jti);
    if (!sessions) return;
    this.logger.info({ event: "token-revoked", sessions: sessions.size }, "ending the sessions of a revoked token");
    for (const session of sessions) void session.revoke();
  }
}
