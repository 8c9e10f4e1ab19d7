/** Every subject of the protocol, built from the prefix `P` (default `cred`). */
import { isInbox } from "../../transports/reply-subjects.ts";

export const DEFAULT_PREFIX = "cred";

export interface Subjects {
  readonly prefix: string;
  readonly login: string;
  readonly challenge: string;
  readonly portalQueue: string;
  readonly announce: string;
  readonly discover: string;
  readonly withdraw: string;
  session(id: string): string;
  sessionVerb(id: string, verb: "call" | "ping" | "logout" | "release"): string;
  checker(name: string): string;
  realmAvatar(name: string): string;
  realmQueue(name: string): string;
  /** Addition: one realm service process, asked whether it is still there (`P.realm.NAME.instance.ID`). */
  realmInstance(name: string, instance: string): string;
  /** Where one process serving checker `name` answers whether it is still there. */
  checkerInstance(name: string, instance: string): string;
  /** Addition: where that process alone takes checks (a check sent again, away from an instance that died or stalled). */
  checkerInstanceCheck(name: string, instance: string): string;
  /** Addition: one portal process, asked by realm services whether it is still there (`P.portal.ID`). */
  portalInstance(instance: string): string;
}

const TOKEN = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;
/**
 * A service name is one token: a dotted one would reach into another service's subjects
 * (`--name scr.challenge` answered `P.checker.scr.challenge` beside checker `scr`).
 */
const NAME = /^[A-Za-z0-9_-]+$/;

/** Rejects a prefix that is not a plain dotted subject, and a service name that is not one token. */
export function subjectsFor(prefix: string = DEFAULT_PREFIX): Subjects {
  if (!TOKEN.test(prefix)) throw new TypeError(`invalid subject prefix: ${JSON.stringify(prefix)}`);
  // Clients' inboxes: a portal refuses a Mind under its own prefix, so under `_INBOX` no client
  // could have one (an outside probe), and its services would answer on clients' reply subjects.
  if (/^_INBOX(?:_[^.]*)?(?:\.|$)/.test(prefix)) throw new TypeError(`invalid subject prefix: ${JSON.stringify(prefix)} is where clients' inboxes are`);
  const name = (n: string) => {
    if (!NAME.test(n)) throw new TypeError(`invalid service name: ${JSON.stringify(n)}`);
    return n;
  };
  return {
    prefix,
    login: `${prefix}.login`,
    challenge: `${prefix}.challenge`,
    portalQueue: `${prefix}.portal`,
    announce: `${prefix}.checkers.announce`,
    discover: `${prefix}.checkers.discover`,
    withdraw: `${prefix}.checkers.withdraw`,
    session: (id) => `${prefix}.session.${id}`,
    sessionVerb: (id, verb) => `${prefix}.session.${id}.${verb}`,
    checker: (n) => `${prefix}.checker.${name(n)}`,
    realmAvatar: (n) => `${prefix}.realm.${name(n)}.avatar`,
    realmQueue: (n) => `${prefix}.realm.${name(n)}`,
    realmInstance: (n, instance) => `${prefix}.realm.${name(n)}.instance.${instanceToken(instance)}`,
    checkerInstance: (n, instance) => `${prefix}.checker.${name(n)}.instance.${instanceToken(instance)}`,
    checkerInstanceCheck: (n, instance) => `${prefix}.checker.${name(n)}.instance.${instanceToken(instance)}.check`,
    portalInstance: (instance) => `${prefix}.portal.${instanceToken(instance)}`,
  };
}

const INSTANCE = /^[A-Za-z0-9_-]{1,64}$/;

/** True when `value` can name a service instance inside a subject (one plain token). */
export function isInstanceId(value: unknown): value is string {
  return typeof value === "string" && INSTANCE.test(value);
}

function instanceToken(instance: string): string {
  if (!isInstanceId(instance)) throw new TypeError(`invalid instance id: ${JSON.stringify(instance)}`);
  return instance;
}

/** One token of a mind subject: printable ASCII but the separator and wildcards (no control characters, no spaces). */
const MIND_TOKEN = /^[\x21-\x29\x2b-\x2d\x2f-\x3d\x3f-\x7e]+$/;

/**
 * Which subjects a client may name as its Mind: an inbox (`_INBOX.…`, `_INBOX_<user>.…`), which
 * is all nats.conf's client user may subscribe to anyway, or a subject under one of `prefixes`
 * (whole tokens).
 */
export type MindSubjectRule = (subject: string) => boolean;

/** The portal's rule for client-named minds: inboxes, and subjects under `prefixes`. */
export function mindSubjectRule(prefixes: readonly string[] = []): MindSubjectRule {
  for (const p of prefixes) {
    // `portcullis.…` carries every portal's token revocations.
    if (!TOKEN.test(p) || p.startsWith("$") || p === "portcullis" || p.startsWith("portcullis.")) {
      throw new TypeError(`invalid mind prefix: ${JSON.stringify(p)}`);
    }
  }
  if (prefixes.length === 0) return isInbox;
  return (subject) => isInbox(subject) || prefixes.some((p) => subject.startsWith(`${p}.`));
}

/**
 * True when `subject` is a valid subject to publish a mind's notifications on and is none of the
 * runtime's or the server's own: the portal and realm services publish there with service
 * permissions, so a mind on `P.session.X.logout` would let a client end another client's session,
 * and one on `$JS.API.STREAM.PURGE.…` would let it wipe the rate limiter's counts (an outside fuzz
 * probe did). A portal also applies its `rule` (by default: inboxes only).
 */
export function isSafeMindSubject(subject: string, prefix: string, rule?: MindSubjectRule): boolean {
  if (subject.length > 256 || subject.startsWith("$")) return false;
  if (subject === prefix || subject.startsWith(`${prefix}.`)) return false;
  if (!subject.split(".").every((token) => MIND_TOKEN.test(token))) return false;
  return rule === undefined || rule(subject);
}
