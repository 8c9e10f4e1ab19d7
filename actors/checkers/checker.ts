/** The credential checker contract (Twisted's `ICredentialsChecker`) and the `ANONYMOUS` avatar id. */
import type { Credentials } from "../credentials/credentials.ts";

/**
 * The avatar id a checker returns for anonymous access. A symbol rather than a string so that
 * no username, however chosen, can ever collide with it.
 */
export const ANONYMOUS: unique symbol = Symbol.for("portcullis.ANONYMOUS");

/** What a checker resolves credentials to: a user's avatar id, or `ANONYMOUS`. */
export type AvatarId = string | typeof ANONYMOUS;

/** Resolves credentials to an avatar id. */
export interface Checker {
  /** The credentials kinds this checker can check. */
  readonly credentialKinds: readonly string[];
  /**
   * Rejects with `UnauthorizedLogin` when the credentials are refused (the same error for an
   * unknown user and a wrong password), `LoginFailed` when it cannot decide.
   */
  requestAvatarId(credentials: Credentials): Promise<AvatarId> | AvatarId;
}
