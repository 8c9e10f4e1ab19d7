/** The portal's side of session tokens: issuing them, and ending every session a revoked token opened. */
import { decodeJwt } from "jose";
import type { Bus } from "../../transports/bus.ts";
import type { AvatarId } from "../checkers/checker.ts";
import type { Logger } from "../logger.ts";
import type { TokenAuthority } from "../tokens/token-authority.ts";
import { RevocationList } from "../tokens/revocation-list.ts";
import { followRevocations, publishRevocation, type Revocation } from "../tokens/revocation-feed.ts";
import type { Subjects } from "../wire/subjects.ts";

/** What the portal can end when a token is revoked. */
export interface RevocableSession {
  revoke(): Promise<unknown>;
  readonly ended: Promise<unknown>;
}

/**
 * Tracks which live sessions each token id opened (the login that asked for it, and every login
 * made with it). A revocation, heard on the bus by every portal and token checker (see
 * `revocation-feed.ts`), goes on the revocation lists of this portal's token checkers and ends
 * those sessions with reason `revoked`. Every portal has one, with or without an authority: a
 * game server that only accepts tokens must end the sessions of a token revoked elsewhere.
 */
export class TokenSessions {
  readonly #byJti = new Map<string, Set<RevocableSession>>();
  readonly #lists: ReadonlySet<RevocationList>;
  readonly #unlisten: Array<() => void> = [];

  /**
   * @param authority signs tokens (`issueToken`); absent: this portal issues none.
   * @param lists further revocation lists to keep current: those of the portal's local token checkers.
   */
  constructor(
    private readonly bus: Bus,
    private readonly subjects: Subjects,
    readonly authority: TokenAuthority | undefined,
    private readonly logger: Logger,
    lists: Iterable<RevocationList> = [],
  ) {
    // A list of its own too, so that a portal with no token checker still ends the sessions.
    this.#lists = new Set([authority?.revocations ?? new RevocationList(), ...lists]);
  }

  /** True when this portal can sign tokens. */
  get issues(): boolean {
    return this.authority !== undefined;
  }

  start(): void {
    // Through the lists, so a revocation made straight on a TokenAuthority ends sessions too.
    for (const list of this.#lists) this.#unlisten.push(list.onRevoke((jti) => this.#endSessionsOf(jti)));
    this.#unlisten.push(followRevocations(this.bus, this.subjects.prefix, (revocation) => this.#revoked(revocation)));
  }

  stop(): void {
    for (const unlisten of this.#unlisten.splice(0)) unlisten();
  }

  /** Issues a token for a fresh session and ties the session to it. */
  async issue(avatarId: AvatarId, session: RevocableSession): Promise<{ token: string; tokenExpiresAt: number }> {
    if (!this.authority) throw new TypeError("this portal issues no session tokens");
    const { token, claims } = await this.authority.issue(avatarId);
    this.#track(claims.jti, session);
    return { token, tokenExpiresAt: claims.expiresAt };
  }

  /**
   * What a token login that asks for a token gets: the token it logged in with (already verified),
   * with its own expiry; its sessions are already tied to it by `trackLoginWith`. `undefined` for
   * a token that is no session token (an opaque one some other token checker accepted): such a
   * login gets a fresh token, as a password login does.
   */
  reissue(token: string): { token: string; tokenExpiresAt: number } | undefined {
    try {
      const { exp, jti } = decodeJwt(token);
      if (typeof exp === "number" && typeof jti === "string") return { token, tokenExpiresAt: exp * 1000 };
    } catch {
      // Not a JWT: a token checker of another make accepted it.
    }
    return undefined;
  }

  /**
   * Ties a session opened with `token` (already verified by the checker) to that token. False when
   * the token was revoked meanwhile, while the realm was still answering: the login must then be
   * refused, as a login after the revocation is (an outside probe saw such sessions outlive the
   * revocation on a portal with a realm service).
   */
  trackLoginWith(token: string, session: RevocableSession): boolean {
    let jti: unknown;
    try {
      jti = decodeJwt(token).jti;
    } catch {
      // Verified tokens decode; nothing to track otherwise.
      return true;
    }
    if (typeof jti !== "string") return true;
    for (const list of this.#lists) if (list.isRevoked(jti)) return false;
    this.#track(jti, session);
    return true;
  }

  /** Revokes a token by its text (read, not verified: revoking a forged token is harmless). */
  async revokeToken(token: string): Promise<void> {
    const { jti, exp } = decodeJwt(token);
    if (typeof jti !== "string" || typeof exp !== "number") throw new TypeError("not a session token");
    await this.revoke({ jti, expiresAt: exp * 1000 });
  }

  /** Revokes at every portal and token checker on the bus, whatever their prefix; this one at once. */
  async revoke(claims: Revocation): Promise<void> {
    this.#revoked(claims);
    publishRevocation(this.bus, claims);
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

  #revoked({ jti, expiresAt }: Revocation): void {
    for (const list of this.#lists) list.revoke(jti, expiresAt);
  }

  #endSessionsOf(jti: string): void {
    const sessions = this.#byJti.get(jti);
    if (!sessions) return;
    // Every list tells us: the first time ends them, the rest find nothing.
    this.#byJti.delete(jti);
    this.logger.info({ event: "token-revoked", sessions: sessions.size }, "ending the sessions of a revoked token");
    for (const session of sessions) void session.revoke();
  }
}
