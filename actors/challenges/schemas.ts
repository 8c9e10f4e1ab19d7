/** The challenge payloads of PROTOCOL.md as schemas: anything else is a `BadRequest`. */
import { z } from "zod";
export { parse } from "../wire/schemas.ts";

const nonEmpty = z.string().min(1).max(1024);

/** `P.challenge`: `{"mechanism": M}` plus the mechanism's own fields (scram-sha-256's `message`). */
export const challengeRequest = z.looseObject({ mechanism: nonEmpty });

/**
 * `P.challenge.ID`: the login fields every mechanism shares, as on `P.login` (`interfaces`,
 * `mind`, `issueToken`); `interfaces` is required for an answer that logs in (not for ssh-key's
 * key query). The mechanism reads its own fields from `body`.
 */
export const challengeAnswer = z
  .looseObject({
    username: nonEmpty.optional(),
    interfaces: z.array(nonEmpty).min(1).max(64).optional(),
    mind: z.string().min(1).max(256).nullish(),
    issueToken: z.boolean().optional(),
  })
  .transform(({ username, interfaces, mind, issueToken, ...rest }) => ({ username, interfaces, mind, issueToken, body: rest as Record<string, unknown> }));
