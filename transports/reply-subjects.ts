/**
 * Which reply subjects a bus answers. A request's reply subject is chosen by whoever sent it,
 * and the answer goes out with the answering connection's permissions: a client allowed only to
 * publish `cred.login` sent a login whose reply subject was `$JS.API.STREAM.PURGE.KV_…`, and the
 * portal's answer purged the rate limiter's counts. So a bus answers only inboxes.
 */

/** nats.js's inboxes (`_INBOX.…`) and per-user inbox prefixes (`_INBOX_alice.…`, nats.conf). */
const INBOX = /^(_INBOX(?:_[A-Za-z0-9_-]+)?)\./;
/** A subject one can publish to: tokens not empty, no wildcards, no whitespace. */
const PUBLISHABLE = /^[^\s.*>]+(?:\.[^\s.*>]+)*$/;
const PREFIX = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

/** Tells whether a reply subject may be answered. */
export type ReplyRule = (reply: string) => boolean;

/** Whether `subject` is under an inbox prefix: `_INBOX.…`, or a per-user `_INBOX_<user>.…`. */
export function isInbox(subject: string): boolean {
  return INBOX.test(subject);
}

/**
 * The inbox prefix `subject` is under: `_INBOX` or `_INBOX_<user>`; undefined for a subject that
 * is no inbox. One client's inboxes all share one (nats.js's `inboxPrefix`).
 */
export function inboxPrefixOf(subject: string | undefined): string | undefined {
  return subject === undefined ? undefined : INBOX.exec(subject)?.[1];
}

/** The default: inboxes only. */
export const answersInboxes: ReplyRule = (reply) => INBOX.test(reply) && PUBLISHABLE.test(reply);

/** Inboxes, and subjects under `prefixes` (whole tokens; never `$…`): for requesters with inbox prefixes of their own. */
export function replyRule(prefixes: readonly string[] = []): ReplyRule {
  for (const p of prefixes) {
    if (!PREFIX.test(p)) throw new TypeError(`invalid reply prefix: ${JSON.stringify(p)}`);
  }
  if (prefixes.length === 0) return answersInboxes;
  return (reply) => answersInboxes(reply) || (PUBLISHABLE.test(reply) && prefixes.some((p) => reply.startsWith(`${p}.`)));
}
