/** A checker made of checkers (seed 004's CascadingChecker), stacked with Linux-PAM control flags. */
import type { Credentials } from "../credentials/credentials.ts";
import { LoginFailed, RateLimited, UnauthorizedLogin } from "../errors.ts";
import type { AvatarId, Checker } from "./checker.ts";

/** How a checker's answer weighs in the stack (Linux-PAM's control values; docs/security.md). */
export const ControlFlag = {
  /** Must accept; on refusal the stack fails, but the rest still runs (nobody learns which factor failed). */
  required: "required",
  /** Must accept; on refusal the stack fails at once. */
  requisite: "requisite",
  /** Its acceptance ends the stack with success unless an earlier required checker refused; its refusal is ignored. */
  sufficient: "sufficient",
  /** Counts as a success when it accepts, and its refusal is ignored: it decides only when no other checker answered (docs/security.md). */
  optional: "optional",
} as const;
export type ControlFlag = (typeof ControlFlag)[keyof typeof ControlFlag];

type Outcome =
  | { readonly kind: "accepted"; readonly avatarId: AvatarId }
  | { readonly kind: "refused" }
  | { readonly kind: "down"; readonly error: unknown };

const REFUSED: Outcome = { kind: "refused" };

/**
 * Tries its checkers in registration order. With the default flag (`sufficient`) this is the
 * seed's cascade: the first acceptance wins, and the login is refused only when all refuse.
 * Rejects with `UnauthorizedLogin` when the credentials were refused, with `LoginFailed` when a
 * checker that could have changed the outcome is down (never a refusal it did not make), and
 * with a checker's own `RateLimited`.
 */
export class CascadingChecker implements Checker {
  readonly #stack: Array<{ readonly checker: Checker; readonly control: ControlFlag }> = [];

  /** The union of its checkers' kinds, in registration order. Register them all before handing this to a Portal. */
  get credentialKinds(): readonly string[] {
    return [...new Set(this.#stack.flatMap(({ checker }) => checker.credentialKinds))];
  }

  /** Appends `checker` to the stack. */
  registerChecker(checker: Checker, control: ControlFlag = ControlFlag.sufficient): void {
    if (!Object.values(ControlFlag).includes(control)) throw new TypeError(`unknown control flag ${String(control)}`);
    this.#stack.push({ checker, control });
  }

  async requestAvatarId(credentials: Credentials): Promise<AvatarId> {
    let avatarId: AvatarId | undefined;
    let mandatoryRefused = false;
    let optionalDown: unknown;
    let someoneDown = false;
    // A sufficient checker down before any mandatory refusal: had it accepted, the stack would
    // have ended there with success, so no later refusal is a verdict (an outside probe found
    // `[sufficient: down, required: refuses]` refused as a wrong password, counted by the rate limiter).
    let decisiveDown: { readonly error: unknown } | undefined;
    const refusal = (): Error => (decisiveDown === undefined ? new UnauthorizedLogin() : unavailable(decisiveDown.error));
    for (const { checker, control } of this.#stack) {
      const outcome = await attempt(checker, credentials, avatarId);
      const mandatory = control === ControlFlag.required || control === ControlFlag.requisite;
      if (outcome.kind === "down") {
        // A mandatory checker's answer is needed whatever the others say: without it, no verdict.
        if (mandatory) throw unavailable(outcome.error);
        if (!someoneDown) optionalDown = outcome.error;
        someoneDown = true;
        if (control === ControlFlag.sufficient && !mandatoryRefused) decisiveDown ??= { error: outcome.error };
      } else if (outcome.kind === "refused") {
        if (control === ControlFlag.requisite) throw refusal();
        if (control === ControlFlag.required) mandatoryRefused = true;
      } else {
        avatarId ??= outcome.avatarId;
        if (control === ControlFlag.sufficient && !mandatoryRefused) return avatarId;
      }
    }
    if (mandatoryRefused) throw refusal();
    if (avatarId !== undefined) return avatarId;
    // Nobody accepted, but a checker that is down might have: that is no refusal.
    if (someoneDown) throw unavailable(optionalDown);
    throw new UnauthorizedLogin();
  }

  toJSON(): unknown {
    return {
      checker: "CascadingChecker",
      stack: this.#stack.map(({ checker, control }) => ({ checker: checker.constructor.name, control })),
    };
  }
}

async function attempt(checker: Checker, credentials: Credentials, accepted: AvatarId | undefined): Promise<Outcome> {
  // A checker that cannot check this kind is not asked: for it these credentials are simply wrong.
  if (!credentials.kinds.some((kind) => checker.credentialKinds.includes(kind))) return REFUSED;
  let avatarId: AvatarId;
  try {
    avatarId = await checker.requestAvatarId(credentials);
  } catch (error) {
    return error instanceof UnauthorizedLogin ? REFUSED : { kind: "down", error };
  }
  // Every factor must vouch for the same user: a second factor that authenticates someone else
  // is a refusal, never a way to log in as either.
  return accepted !== undefined && avatarId !== accepted ? REFUSED : { kind: "accepted", avatarId };
}

/** What a down checker is reported as: never `CheckerUnavailable`, or the Portal would withdraw the whole stack. */
function unavailable(error: unknown): LoginFailed {
  return error instanceof RateLimited ? error : new LoginFailed("a credential checker is unavailable");
}
