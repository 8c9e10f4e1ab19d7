/** Answers one `P.session.ID.call` request on a hosted avatar. */
import type { Logger } from "../logger.ts";
import { okReply } from "../wire/codec.ts";
import { callRequest, parse } from "../wire/schemas.ts";
import { callAvatar } from "./avatar-methods.ts";
import { describe } from "./responder.ts";

/** Rejects with `BadRequest`, `NoSuchMethod` or `AvatarError`. */
export async function answerCall(body: Record<string, unknown>, avatar: unknown, logger: Logger): Promise<Uint8Array> {
  const { method, args } = parse(callRequest, body);
  const result = await callAvatar(avatar, method, args ?? [], (error) =>
    logger.warn({ method, err: describe(error) }, "avatar method threw"),
  );
  return okReply({ result: result === undefined ? null : result });
}
