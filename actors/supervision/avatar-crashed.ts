/** `AvatarCrashed`: what a plain avatar throws to say it is broken and must be restarted. */
import { brandError, isBrandedInstance } from "../error-brand.ts";

/**
 * Thrown by an avatar method (or its `cause` chain's owner) when the avatar's own state is
 * broken: the call is answered with a generic `AvatarError` and the session's supervisor
 * restarts the avatar (asks the realm again). Any other exception only fails the one call.
 * Never sent on the wire: its message may hold internals.
 */
export class AvatarCrashed extends Error {
  override readonly name = "AvatarCrashed";
  constructor(message = "avatar crashed", options?: { cause?: unknown }) {
    super(message, options);
  }

  /** Also true for an `AvatarCrashed` from another copy of the package (a realm module's own). */
  static override [Symbol.hasInstance]<T>(this: abstract new (...args: never[]) => T, value: unknown): value is T {
    return isBrandedInstance(this, value);
  }
}
brandError(AvatarCrashed, "AvatarCrashed");

/** The message a client sees for the call that crashed the avatar, when it is restarted. */
export const CRASHED_MESSAGE = "the avatar failed and is being restarted";
/** The message for the call whose crash made the supervisor give up: nothing is restarted, the session ends. */
export const GAVE_UP_MESSAGE = "the avatar failed; the session ends";
