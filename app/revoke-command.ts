/** `portcullis revoke`: revokes a session token at every portal and token checker on the bus. */
import { decodeJwt } from "jose";
import { TOKEN_REVOCATIONS } from "../actors/tokens/revocation-feed.ts";
import { decodeObject, encode } from "../actors/wire/codec.ts";
import type { Bus } from "../transports/index.ts";
import { UsageError } from "./usage-error.ts";

/** How long answers are counted: every process listening answers at once. */
const HEARD_WITHIN_MS = 500;

/** What a token names for revocation: its id and its expiry (ms since the epoch). */
export function revocationOf(token: string): { jti: string; expiresAt: number } {
  let claims;
  try {
    claims = decodeJwt(token.trim());
  } catch {
    throw new UsageError("standard input holds no session token (a JWT, as a login with issueToken gets)");
  }
  if (typeof claims.jti !== "string" || typeof claims.exp !== "number") throw new UsageError("the token has no jti or exp: not a Portcullis session token");
  return { jti: claims.jti, expiresAt: claims.exp * 1000 };
}

/**
 * Sends the revocation on `portcullis.tokens.revoke` (every prefix hears it) as a request, and
 * counts the services (portals, token checkers) that answer `{"ok": true}` within half a second. The token is not verified:
 * revoking needs a service connection, not the token's key.
 */
export async function revoke(bus: Bus, revocation: { jti: string; expiresAt: number }): Promise<number> {
  const inbox = bus.inbox();
  let heard = 0;
  const answers = bus.subscribe(inbox, (message) => {
    if (message.data.byteLength === 0) return;
    try {
      if (decodeObject(message.data)["ok"] === true) heard++;
    } catch {
      // Not an answer to count.
    }
  });
  try {
    bus.publish(TOKEN_REVOCATIONS, encode(revocation), { reply: inbox });
    await bus.flush();
    await new Promise((resolve) => setTimeout(resolve, HEARD_WITHIN_MS));
  } finally {
    answers.unsubscribe();
  }
  return heard;
}
