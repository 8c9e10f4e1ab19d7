/**
 * Identifiers shortened for logs. PROTOCOL.md makes a session id (22 base64url characters) the
 * capability to use its session, "never log it in full", and it is a token of the session's
 * subjects: anything the transport writes about a subscription or a failure goes through here.
 */

const IDENTIFIER = /(?<![A-Za-z0-9_-])([A-Za-z0-9_-]{6})[A-Za-z0-9_-]{16}(?![A-Za-z0-9_-])/g;

/** `text` with every 22-character base64url token cut to its first six characters and `…`. */
export function redactIdentifiers(text: string): string {
  return text.replace(IDENTIFIER, "$1…");
}
