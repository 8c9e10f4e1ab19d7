/** Anonymous credentials (Twisted's `Anonymous`): nothing to check. */
import type { Credentials, WireCredentials } from "./credentials.ts";

export class Anonymous implements Credentials {
  static readonly kind = "anonymous";
  readonly kinds: readonly string[] = [Anonymous.kind];

  toWire(): WireCredentials {
    return { kind: Anonymous.kind };
  }

  toJSON(): unknown {
    return { kind: Anonymous.kind };
  }
}
