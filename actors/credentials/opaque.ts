/** Credentials of a kind this process does not know: carried as they came, for a remote checker. */
import { redacted, type Credentials, type WireCredentials } from "./credentials.ts";

/**
 * Custom kinds travel to their checker untouched (PROTOCOL.md: `credentials` is passed on as it
 * came). Every field except `kind` and `username` is treated as secret in `toJSON`.
 */
export class OpaqueCredentials implements Credentials {
  readonly kinds: readonly string[];
  readonly #wire: WireCredentials;

  constructor(wire: WireCredentials) {
    this.#wire = wire;
    this.kinds = [wire.kind];
  }

  toWire(): WireCredentials {
    return this.#wire;
  }

  toJSON(): unknown {
    const username = this.#wire["username"];
    return redacted(this.#wire.kind, typeof username === "string" ? { username } : {});
  }
}
