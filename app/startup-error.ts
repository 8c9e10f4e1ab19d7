/** Something outside the command line stops a command from starting (no NATS, no JetStream): one line, exit 1. */
export class StartupError extends Error {
  override readonly name = "StartupError";
}
