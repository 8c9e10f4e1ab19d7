/** strcred's errors, with Twisted's names (UnsupportedInterfaces is UnsupportedKinds here). */

/** The base of strcred's errors (Twisted's `StrcredException`). */
export class StrcredException extends Error {
  override readonly name: string = "StrcredException";
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
