/** Answers one `P.session.ID.call` request on a hosted avatar. */
import type { Logger } from "../logger.ts";
import { SupervisedAvatar } from "../supervision/supervised-avatar.ts";
import { okReply } from "../wire/codec.ts";
import { callRequest, parse } from "../wire/schemas.ts";
import { callAvatar } from "./avatar-methods.ts";
import { describe } from "./responder.ts";

/**
 * Calls a supervised avatar (waiting for a restart in progress) or a bare one. Rejects with
 * `BadRequest`, `NoSuchMethod`, `AvatarError` or, once the supervisor gave up, `SessionEnded`.
 */
export async function answerCall(body: Record<string, unknown>, avatar: unknown, logger: Logger): Promise<Uint8Array> {
  const { method, args } = parse(callRequest, body);
  const onUnexpected = (error: unknown) => logger.warn({ method, error: describe(error) }, "avatar method threw");
  const result =
    avatar instanceof SupervisedAvatar
      ? await avatar.call(method, args ?? [], onUnexpected)
      : await callAvatar(avatar, method, args ?? [], onUnexpected);
  return okReply({ result: sendable(result) });
}

/**
 * What JSON cannot say at the top level (`undefined`, a function, a symbol: the anonymous avatarId
 * is one) goes as `null`, as JSON.stringify writes them inside an array; left as they were, the
 * reply lost its `result` field (an outside probe got a bare `{"ok": true}`).
 */
function sendable(result: unknown): unknown {
  return result === undefined || typeof result === "function" || typeof result === "symbol" ? null : result;
}
