/** Logging in by challenge-response from the client SDK: `P.challenge`, then the answer on `P.challenge.ID`. */
import type { KeyObject } from "node:crypto";
import type { Bus } from "../../transports/bus.ts";
import { LoginFailed } from "../errors.ts";
import { cramMD5Response, pbMD5Response, scramClient, sshKeySigner, type ScramClient } from "./challenge-answers.ts";
import { PortalClient, type ClientOptions, type LoginOptions } from "./portal-client.ts";
import type { RemoteSession } from "./remote-session.ts";

/** What the user knows: a password (cram-md5, pb-md5, scram-sha-256) or a private key (ssh-key). */
export type ChallengeSecret =
  | { readonly username: string; readonly password: string }
  | { readonly username: string; readonly privateKey: KeyObject | string };

/**
 * Logs in with `mechanism` and resolves to the same `RemoteSession` as `PortalClient.login`.
 * Rejects with the protocol's errors (`UnhandledCredentials` for a mechanism no checker
 * handles, `UnauthorizedLogin` for a refused answer), `LoginFailed` when no portal serves or a
 * scram-sha-256 server cannot prove it knows the password, `TypeError` for a secret that does
 * not fit the mechanism.
 */
export async function loginWithChallenge(
  portal: PortalClient | Bus,
  mechanism: string,
  secret: ChallengeSecret,
  options: LoginOptions & ClientOptions,
): Promise<RemoteSession> {
  const client = portal instanceof PortalClient ? portal : new PortalClient(portal, options);
  const scram = mechanism === "scram-sha-256" ? scramClient(secret.username, passwordOf(secret, mechanism)) : undefined;
  const issued = await client.requestChallenge({ mechanism, ...(scram ? { message: scram.first } : {}) });
  const id = issued["id"];
  const challenge = issued["challenge"];
  if (typeof id !== "string" || typeof challenge !== "string") throw new LoginFailed("malformed challenge reply");
  const fields = answer(mechanism, secret, challenge, scram);
  const { session, reply } = await client.loginAt(`${client.subjects.challenge}.${id}`, fields, options);
  if (scram && !(typeof reply["final"] === "string" && scram.verifyServer(reply["final"]))) {
    await session.logout().catch(() => undefined);
    throw new LoginFailed("the server did not prove it knows the password");
  }
  return session;
}

function answer(mechanism: string, secret: ChallengeSecret, challenge: string, scram: ScramClient | undefined): Record<string, unknown> {
  const username = secret.username;
  switch (mechanism) {
    case "cram-md5":
      return { username, response: cramMD5Response(passwordOf(secret, mechanism), challenge) };
    case "pb-md5":
      return { username, response: pbMD5Response(passwordOf(secret, mechanism), challenge) };
    case "scram-sha-256":
      return { username, response: scram!.final(challenge) };
    case "ssh-key": {
      if (!("privateKey" in secret)) throw new TypeError("ssh-key needs a privateKey");
      const signer = sshKeySigner(secret.privateKey);
      return { username, algorithm: signer.algorithm, publicKey: signer.publicKey, signature: signer.sign(challenge) };
    }
    default:
      throw new TypeError(`no client support for mechanism ${mechanism}`);
  }
}

function passwordOf(secret: ChallengeSecret, mechanism: string): string {
  if (!("password" in secret)) throw new TypeError(`${mechanism} needs a password`);
  return secret.password;
}
