/** A command-line mistake: printed with the usage and exit status 2, never with a stack trace. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
