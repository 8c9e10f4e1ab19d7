/** Credentials carrying a client-side hash (Twisted's `UsernameHashedPassword`). */
import { constantTimeEqual } from "./constant-time.ts";
import { redacted, type Credentials, type WireCredentials } from "./credentials.ts";

/** A username and a hash the client computed; the checker compares it to what it stores. */
export class UsernameHashedPassword implements Credentials {
  static readonly kind = "username-hashed-password";
  readonly kinds: readonly string[] = [UsernameHashedPassword.kind];
  readonly #hashed: string;

  constructor(readonly username: string, hashed: string) {
    this.#hashed = hashed;
  }

  get hashed(): string {
    return this.#hashed;
  }

  /** True when the stored value equals the presented hash; constant time. */
  checkPassword(stored: string): boolean {
    return constantTimeEqual(this.#hashed, stored);
  }

  toWire(): WireCredentials {
    return { kind: UsernameHashedPassword.kind, username: this.username, hashed: this.#hashed };
  }

  toJSON(): unknown {
    return redacted(UsernameHashedPassword.kind, { username: this.username });
  }
}
