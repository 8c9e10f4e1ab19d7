/** The realm contract (Twisted's `IRealm`) and the Mind that receives a session's notifications. */
import type { AvatarId } from "./checkers/checker.ts";

/**
 * The client's side of a session, as the realm sees it: where notifications go (Twisted's
 * "mind", PB's client object). A realm needing a richer interface wraps it in an adapter.
 */
export interface Mind {
  notify(event: string, data?: unknown): void;
}

/** What a realm grants: the interface chosen, the avatar providing it, and how to log it out. */
export interface LoginResult<A = unknown> {
  readonly interface: string;
  readonly avatar: A;
  /** Logs the avatar out. Runs the realm's logout exactly once however often it is called. */
  readonly logout: () => void | Promise<void>;
}

/** Connects the universe of avatars to authentication. */
export interface Realm {
  /**
   * Returns an avatar for `avatarId` providing one of `interfaces` (in order of preference).
   * Rejects with `NoSuchInterface` when it supports none of them. May answer synchronously.
   */
  requestAvatar(
    avatarId: AvatarId,
    mind: Mind | null,
    ...interfaces: string[]
  ): Promise<LoginResult> | LoginResult;
}
