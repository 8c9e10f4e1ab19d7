/** Username and password credentials (Twisted's `UsernamePassword`, kind `username-password`). */
import { constantTimeEqual } from "./constant-time.ts";
import { redacted, type Credentials, type WireCredentials } from "./credentials.ts";

/** A username and a plaintext password, as POP3's USER/PASS or a login form sends them. */
export class UsernamePassword implements Credentials {
  static readonly kind = "username-password";
  readonly kinds: readonly string[] = [UsernamePassword.kind];
  readonly #password: string;

  constructor(readonly username: string, password: string) {
    this.#password = password;
  }

  /** The password, for checkers that must hash it themselves. */
  get password(): string {
    return this.#password;
  }

  /** Compares in constant time. */
  checkPassword(password: string): boolean {
    return constantTimeEqual(this.#password, password);
  }

  toWire(): WireCredentials {
    return { kind: UsernamePassword.kind, username: this.username, password: this.#password };
  }

  toJSON(): unknown {
    return redacted(UsernamePassword.kind, { username: this.username });
  }
}
