/** `--mind-prefix` and `--reply-prefix`: subject prefixes besides inboxes, checked before connecting. */
import { mindSubjectRule } from "../actors/index.ts";
import { replyRule } from "../transports/reply-subjects.ts";
import { UsageError } from "./usage-error.ts";

/** `--mind-prefix P`, repeatable: subjects under P may be a login's Mind (servePortal's `mindPrefixes`). */
export function mindPrefixesOption(prefixes: readonly string[] | undefined, own: string): { mindPrefixes?: readonly string[] } {
  if (prefixes === undefined) return {};
  try {
    mindSubjectRule(prefixes);
  } catch {
    throw new UsageError("--mind-prefix must be a plain dotted subject (letters, digits, - and _), not $… nor portcullis…");
  }
  notUnder("--mind-prefix", prefixes, own);
  return { mindPrefixes: prefixes };
}

/**
 * `--reply-prefix P`, repeatable: requests whose reply subject is under P are answered too
 * (connectNatsBus's `replyPrefixes`), for clients whose NATS library makes inboxes under a
 * prefix of their own (nats.js `inboxPrefix`): without it their requests meet silence.
 */
export function replyPrefixesOption(prefixes: readonly string[] | undefined, own: string): { replyPrefixes?: readonly string[] } {
  if (prefixes === undefined) return {};
  try {
    replyRule(prefixes);
  } catch {
    throw new UsageError("--reply-prefix must be a plain dotted subject (letters, digits, - and _), not $…");
  }
  if (prefixes.some((p) => p === "portcullis" || p.startsWith("portcullis."))) throw new UsageError("--reply-prefix may not be under portcullis (the token revocation subjects)");
  notUnder("--reply-prefix", prefixes, own);
  // A prefix above the portal's (`game` for `game.eu`) covers its subjects too: a mind is checked
  // against P itself, a reply subject only against these prefixes.
  const above = prefixes.find((p) => own.startsWith(`${p}.`));
  if (above !== undefined) throw new UsageError(`--reply-prefix may not cover the portal's own prefix (${own} is under ${above})`);
  return { replyPrefixes: prefixes };
}

/** A prefix under the portal's own would let a client make services publish on their own subjects. */
function notUnder(option: string, prefixes: readonly string[], own: string): void {
  if (prefixes.some((p) => p === own || p.startsWith(`${own}.`))) throw new UsageError(`${option} may not be under the portal's own prefix (${own})`);
}
