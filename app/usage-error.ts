/** A command-line mistake: printed with the usage and exit status 2, never with a stack trace. */
export class UsageError extends Error {
  override readonly name = "UsageError";

  /** `seeAlso`: where to look instead of the options list, e.g. `portcullis --help-auth lists the auth types`. */
  constructor(message: string, readonly seeAlso?: string) {
    super(message);
  }
}
