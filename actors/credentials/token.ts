/** Session-token credentials (kind `token`): seed 003's cookie, presented instead of a password. */
import { redacted, type Credentials, type WireCredentials } from "./credentials.ts";

export class TokenCredentials implements Credentials {
  static readonly kind = "token";
  readonly kinds: readonly string[] = [TokenCredentials.kind];
  readonly #token: string;

  constructor(token: string) {
    this.#token = token;
  }

  get token(): string {
    return this.#token;
  }

  toWire(): WireCredentials {
    return { kind: TokenCredentials.kind, token: this.#token };
  }

  toJSON(): unknown {
    return redacted(TokenCredentials.kind);
  }
}
