/** strcred's errors, with Twisted's names (UnsupportedInterfaces is UnsupportedKinds here). */

/** No checker factory has this auth type. */
export class InvalidAuthType extends Error {
  override readonly name = "InvalidAuthType";
  constructor(readonly authType: string) {
    super(authType);
  }
}

/** The argstring does not fit the factory's `argStringFormat`. */
export class InvalidAuthArgumentString extends Error {
  override readonly name = "InvalidAuthArgumentString";
}

/** The checker cannot check any credentials kind the application supports. */
export class UnsupportedKinds extends Error {
  override readonly name = "UnsupportedKinds";
}
