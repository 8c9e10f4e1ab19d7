/** How token revocations travel between processes: every portal and token checker sharing a key hears them. */
import type { Bus, BusMessage } from "../../transports/bus.ts";
import { BadRequest } from "../errors.ts";
import { decodeObject, encode, errorReply, okEmpty } from "../wire/codec.ts";

const OK = okEmpty();

/**
 * The subject revocations are published on. It carries no prefix on purpose: tokens are a trust
 * domain of their key, not of a prefix, and the token a central portal (`cred`) issued is
 * presented at game servers under another prefix (`game`), which must hear its revocation too.
 */
export const TOKEN_REVOCATIONS = "portcullis.tokens.revoke";

/** The per-prefix subject also listened to (`P.tokens.revoke`), as documented before the wide one. */
export function prefixRevocations(prefix: string): string {
  return `${prefix}.tokens.revoke`;
}

/** What a revocation names: a token id, and until when the token could have been used. */
export interface Revocation {
  readonly jti: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

/** JWT ids are ours (22 characters) or another issuer's; none needs more, and a list entry is kept until expiry. */
const MAX_JTI_LENGTH = 256;
/** Below this an `expiresAt` is read as JWT seconds: 10¹¹ ms is 1973, 10¹¹ s the year 5138. */
const SECONDS_BELOW = 1e11;

/** Reads a revocation message; rejects with `BadRequest` for anything else. */
export function readRevocation(data: Uint8Array): Revocation {
  const { jti, expiresAt } = decodeObject(data);
  if (typeof jti !== "string" || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    throw new BadRequest(`invalid jti: a string of 1 to ${MAX_JTI_LENGTH} characters`);
  }
  if (typeof expiresAt !== "number" || !Number.isFinite(expiresAt) || expiresAt <= 0) {
    throw new BadRequest("invalid expiresAt: a positive number (ms since the epoch)");
  }
  // A revocation given in JWT seconds would otherwise be dropped as expired in 1970, and the
  // revoked token would log in again.
  return { jti, expiresAt: expiresAt < SECONDS_BELOW ? expiresAt * 1000 : expiresAt };
}

/**
 * Calls `onRevoke` for every revocation published on the bus-wide subject or on this prefix's.
 * A request (a message with a reply subject) is answered `{"ok": true}`, or `BadRequest` for
 * garbage (a plain publish of garbage has nobody to tell). Returns the unsubscribe.
 */
export function followRevocations(bus: Bus, prefix: string, onRevoke: (revocation: Revocation) => void): () => void {
  const heard = (message: BusMessage) => {
    let revocation: Revocation;
    try {
      revocation = readRevocation(message.data);
    } catch (error) {
      if (message.reply !== undefined) message.respond(errorReply(error));
      return;
    }
    onRevoke(revocation);
    if (message.reply !== undefined) message.respond(OK);
  };
  // Under the prefix `portcullis` the two are one subject: subscribed twice, each revocation was
  // answered twice, and a revoker counting answers counted this process twice (an outside probe).
  const subjects = new Set([TOKEN_REVOCATIONS, prefixRevocations(prefix)]);
  const subscriptions = [...subjects].map((subject) => bus.subscribe(subject, heard));
  return () => {
    for (const subscription of subscriptions) subscription.unsubscribe();
  };
}

/** Publishes a revocation for every portal and token checker on the bus. */
export function publishRevocation(bus: Bus, revocation: Revocation): void {
  bus.publish(TOKEN_REVOCATIONS, encode({ jti: revocation.jti, expiresAt: revocation.expiresAt }));
}
