/** The request payloads of PROTOCOL.md as schemas: anything else is a `BadRequest`. */
import { z } from "zod";
import { BadRequest } from "../errors.ts";

const nonEmpty = z.string().min(1).max(1024);

const credentialsShape = z.looseObject({ kind: nonEmpty });

/**
 * `credentials` travels on as it came: only `kind` is required here, and the object is the one
 * JSON.parse made, not a copy. zod's copy leaves out an own `__proto__` key (an outside probe's
 * custom kind lost one on its way to the checker).
 */
export const wireCredentials = z.custom<z.infer<typeof credentialsShape>>().superRefine((value, ctx) => {
  const result = credentialsShape.safeParse(value);
  if (!result.success) for (const issue of result.error.issues) ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
});

export const loginRequest = z.object({
  credentials: wireCredentials,
  interfaces: z.array(nonEmpty).min(1).max(64),
  mind: z.string().min(1).max(256).nullish(),
  /** Addition: ask for a signed session token (seed 003) in the reply. */
  issueToken: z.boolean().optional(),
});
export type LoginRequest = z.infer<typeof loginRequest>;

export const callRequest = z.object({
  method: z.string().min(1).max(256),
  args: z.array(z.unknown()).max(1024).optional(),
});

export const checkerRequest = z.object({ credentials: wireCredentials });

/**
 * Addition: `P.portal.ID` and `P.realm.NAME.instance.ID` — `{}` asks whether the process is
 * there; `sessions` also asks which of these are over on its side.
 */
export const sessionsQuestion = z.object({
  sessions: z.array(z.string().regex(/^[A-Za-z0-9_-]{22}$/)).max(1000).optional(),
  /** Reply subjects of calls to those sessions: a realm process says which of them it took (`took`). */
  calls: z.array(z.string().min(1).max(1024)).max(1000).optional(),
});

export const checkerReply = z.union([
  z.object({ ok: z.literal(true), avatarId: z.string(), anonymous: z.literal(false).optional() }),
  z.object({ ok: z.literal(true), avatarId: z.null(), anonymous: z.literal(true) }),
  z.object({ ok: z.literal(false), error: z.unknown() }),
]);

export const realmRequest = z.object({
  avatarId: z.string().nullable(),
  anonymous: z.boolean(),
  interfaces: z.array(nonEmpty).min(1).max(64),
  session: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  mind: z.string().min(1).max(256).nullable(),
  /** Addition: the portal instance hosting the session, watched by the realm (optional). */
  portal: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
});
export type RealmRequest = z.infer<typeof realmRequest>;

/** Addition: which instance of a checker service, so one of several stopping withdraws only itself. */
const instance = z.string().min(1).max(64).optional();

export const announcement = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]+$/).max(128),
  kinds: z.array(nonEmpty).min(1).max(64),
  instance,
  /** Addition: when this checker service started announcing (ms since the epoch), to order `discover` answers. */
  since: z.number().finite().nonnegative().optional(),
});
export type Announcement = z.infer<typeof announcement>;

export const withdrawal = z.object({ name: z.string().min(1).max(128), instance });

/** Parses or rejects with `BadRequest` naming the first offending field (never its value). */
export function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join(".") : "payload";
  throw new BadRequest(`invalid ${where}: ${issue?.message ?? "malformed"}`);
}
