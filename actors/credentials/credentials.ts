/** What every credentials object is: the kinds it can be checked as, and its wire form. */

/** A credentials payload as it travels on the wire: `kind` plus the kind's own fields. */
export interface WireCredentials {
  readonly kind: string;
  readonly [field: string]: unknown;
}

/**
 * Credentials a user presents. `kinds` lists every kind these credentials can be checked as,
 * most specific first (a derived kind lists its base kinds after itself), as Twisted's
 * interfaces do. `toJSON` must not reveal secrets: it is what any log or inspector sees.
 */
export interface Credentials {
  readonly kinds: readonly string[];
  /** The full wire form, secrets included, for a remote checker. Never log it. */
  toWire(): WireCredentials;
  toJSON(): unknown;
}

/** The redacted form of credentials: only the fields that are safe to show. */
export function redacted(kind: string, safe: Record<string, unknown> = {}): Record<string, unknown> {
  return { kind, ...safe, secret: "[redacted]" };
}
