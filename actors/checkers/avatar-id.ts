/** What a checker may answer as an avatar id: the rule the portal and remote checkers apply. */

/** The longest avatar id accepted, in UTF-16 code units (a name or an e-mail address fits many times over). */
export const MAX_AVATAR_ID_LENGTH = 1024;

/** C0 controls, DEL and C1 controls (`\p{Cc}`), and lone surrogates (`\p{Cs}`: in `u` mode a pair is one code point). */
const FORBIDDEN = /[\p{Cc}\p{Cs}]/u;

/**
 * True for a usable avatar id: a non-empty, well-formed (no lone surrogates) string of at most
 * `MAX_AVATAR_ID_LENGTH` characters without control characters. Anything else printable is
 * allowed (`.`, `>`, `*`, `$`, spaces, `@`: e-mail addresses and display names are avatar ids):
 * an avatar id is never a NATS subject token nor a key-value key, only a JSON string
 * (docs/protocol-decisions.md).
 */
export function isValidAvatarId(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_AVATAR_ID_LENGTH && !FORBIDDEN.test(value);
}
