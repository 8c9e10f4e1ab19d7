/** A SCRAM-SHA-256 checker (RFC 5802/7677) that stores salt, iterations, StoredKey and ServerKey: never a password. */
import { createHmac, randomBytes } from "node:crypto";
import type { Credentials } from "../credentials/credentials.ts";
import { BadRequest, UnauthorizedLogin, UnhandledCredentials } from "../errors.ts";
import type { ChallengeQueryChecker } from "../challenges/challenge-query.ts";
import type { ChallengeQuery } from "../challenges/mechanism.ts";
import { SCRAM_SHA_256, ScramCredentials } from "../challenges/scram-sha-256.ts";
import {
  decodeSaslName,
  deriveScramKeys,
  expectedWithoutProof,
  parseClientFinal,
  parseClientFirst,
  parseServerFirst,
  serverFinal,
  verifyClientProof,
  type ScramKeys,
} from "../challenges/scram-messages.ts";
import type { AvatarId } from "./checker.ts";

export const DEFAULT_SCRAM_ITERATIONS = 4096;

export interface ScramCheckerOptions {
  /** PBKDF2 iterations for users added from a password (default 4096, RFC 7677's minimum). */
  readonly iterations?: number;
  /** The server's part of the nonce; random 18 bytes base64 by default (tests pin it). */
  readonly nonce?: () => string;
}

/**
 * Checks `scram-sha-256` answers and makes server-first messages (`answerChallengeQuery`).
 * Rejects with `UnauthorizedLogin` for a wrong proof and for an unknown user alike; an unknown
 * user even gets a stable, plausible salt so the exchange does not reveal who exists.
 */
export class ScramChecker implements ChallengeQueryChecker {
  readonly credentialKinds: readonly string[] = [SCRAM_SHA_256];
  readonly #users = new Map<string, ScramKeys>();
  readonly #iterations: number;
  readonly #nonce: () => string;
  /** Keys made-up users' salts and keys; per process, so they are stable but unguessable. */
  readonly #decoy = randomBytes(32);
  /** The iteration count made-up users get (`#decoyIterationsOf`), until the users change. */
  #decoyIterations: number | undefined;

  constructor(options: ScramCheckerOptions = {}) {
    this.#iterations = options.iterations ?? DEFAULT_SCRAM_ITERATIONS;
    if (!Number.isInteger(this.#iterations) || this.#iterations < 1) throw new TypeError("iterations must be a positive integer");
    this.#nonce = options.nonce ?? (() => randomBytes(18).toString("base64"));
  }

  /** Derives and keeps the user's keys; the password itself is not kept. */
  addUser(username: string, password: string, options: { salt?: string; iterations?: number } = {}): void {
    const salt = options.salt ?? randomBytes(16).toString("base64");
    this.addKeys(username, deriveScramKeys(password, salt, options.iterations ?? this.#iterations));
  }

  /** Adds a user from stored keys (e.g. migrated from another SCRAM server). */
  addKeys(username: string, keys: ScramKeys): void {
    this.#users.set(username, keys);
    this.#decoyIterations = undefined;
  }

  /** Every user from now on is one of `users` (a keys file read again: `ScramKeysFileChecker`). */
  replaceUsers(users: ReadonlyMap<string, ScramKeys>): void {
    this.#users.clear();
    for (const [username, keys] of users) this.#users.set(username, keys);
    this.#decoyIterations = undefined;
  }

  /**
   * The iteration count a made-up user's server-first names: the one most users have, so that
   * stored keys with another count than the default (a keys file, a migration) do not tell the
   * real users from the rest.
   */
  #decoyIterationsOf(): number {
    if (this.#decoyIterations === undefined) {
      const counts = new Map<number, number>();
      for (const { iterations } of this.#users.values()) counts.set(iterations, (counts.get(iterations) ?? 0) + 1);
      let best = this.#iterations;
      let most = 0;
      for (const [iterations, count] of counts) if (count > most) [best, most] = [iterations, count];
      this.#decoyIterations = best;
    }
    return this.#decoyIterations;
  }

  /**
   * `{"mechanism": "scram-sha-256", "message": client-first}` → `{"challenge": server-first,
   * "final": server-final}`. Rejects with `BadRequest` for a malformed message.
   */
  answerChallengeQuery(query: ChallengeQuery): Record<string, unknown> {
    if (query.mechanism !== SCRAM_SHA_256) throw new UnhandledCredentials(`no challenge queries for ${String(query.mechanism)}`);
    const message = query["message"];
    if (typeof message !== "string" || message.length > 2048) throw new BadRequest("invalid message: expected a client-first-message");
    const first = parseClientFirst(message);
    const keys = this.#keysOf(first.username);
    const nonce = first.clientNonce + this.#nonce();
    const serverFirst = `r=${nonce},s=${keys.salt},i=${keys.iterations}`;
    // The AuthMessage is fixed from here on (client-final-without-proof is c=<gs2>,r=<nonce>),
    // so server-final can be made now and handed out by the portal only with a session.
    const authMessage = `${first.bare},${serverFirst},${expectedWithoutProof(first.gs2Header, nonce)}`;
    return { challenge: serverFirst, final: serverFinal(keys.serverKey, authMessage) };
  }

  requestAvatarId(credentials: Credentials): AvatarId {
    const c = ScramCredentials.from(credentials);
    const known = this.#users.get(c.username);
    const keys = known ?? this.#keysOf(c.username);
    const at = c.challenge.lastIndexOf(",r=");
    const bare = at < 0 ? "" : c.challenge.slice(0, at);
    const server = at < 0 ? undefined : parseServerFirst(c.challenge.slice(at + 1));
    const final = parseClientFinal(c.response);
    const named = /^n=([^,]*),r=([^,]+)$/.exec(bare);
    const binding = final ? Buffer.from(final.channelBinding, "base64").toString("utf8") : "";
    const wellFormed =
      server !== undefined &&
      final !== undefined &&
      named !== null &&
      safeSaslName(named[1]!) === c.username &&
      server.nonce.startsWith(named[2]!) &&
      final.nonce === server.nonce &&
      (binding === "n,," || binding === "y,,");
    // The proof is checked even when something else is wrong, so every refusal costs the same.
    const proven = verifyClientProof(keys.storedKey, `${c.challenge},${final?.withoutProof ?? ""}`, final?.proof ?? Buffer.alloc(32));
    if (!known || !wellFormed || !proven) throw new UnauthorizedLogin();
    return c.username;
  }

  #keysOf(username: string): ScramKeys {
    const known = this.#users.get(username);
    if (known) return known;
    const mac = (label: string) => createHmac("sha256", this.#decoy).update(`${label}\u0000${username}`).digest();
    return { salt: mac("salt").subarray(0, 16).toString("base64"), iterations: this.#decoyIterationsOf(), storedKey: mac("stored"), serverKey: mac("server") };
  }
}

function safeSaslName(name: string): string | undefined {
  try {
    return decodeSaslName(name);
  } catch {
    return undefined;
  }
}
