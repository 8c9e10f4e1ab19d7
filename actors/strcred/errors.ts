/** strcred's errors, with Twisted's names (UnsupportedInterfaces is UnsupportedKinds here). */
import { brandError, isBrandedInstance } from "../error-brand.ts";

/** The base of strcred's errors (Twisted's `StrcredException`). */
export class StrcredException extends Error {
  override readonly name: string = "StrcredException";

  /** Also true for the same class from another copy of the package (a `--plugin`'s own). */
  static override [Symbol.hasInstance]<T>(this: abstract new (...args: never[]) => T, value: unknown): value is T {
    return isBrandedInstance(this, value);
  }
}

/** No checker factory has this auth type. */
export class InvalidAuthType extends StrcredException {
  override readonly name = "InvalidAuthType";
  constructor(readonly authType: string) {
    super(authType);
  }
}

/** The argstring does not fit the factory's `argStringFormat`. */
export class InvalidAuthArgumentString extends StrcredException {
  override readonly name = "InvalidAuthArgumentString";
}

/**
 * The checker checks no credentials kind the application supports (Twisted's
 * `UnsupportedInterfaces`); `kinds` are the ones it does check, none at all for a checker of no kinds.
 */
export class UnsupportedKinds extends StrcredException {
  override readonly name = "UnsupportedKinds";
  constructor(
    readonly kinds: readonly string[],
    message = kinds.length === 0 ? "its checker checks no credentials kind" : `its checker's kinds (${kinds.join(", ")}) are not supported`,
  ) {
    super(message);
  }
}

brandError(StrcredException, "StrcredException");
brandError(InvalidAuthType, "InvalidAuthType");
brandError(InvalidAuthArgumentString, "InvalidAuthArgumentString");
brandError(UnsupportedKinds, "UnsupportedKinds");
