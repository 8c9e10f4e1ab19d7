/** One live session on the portal: its `P.session.ID.>` subscription, heartbeats, logout and its end. */
import type { Bus } from "../../transports/bus.ts";
import { AvatarError, BadRequest } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { LoginSession, SessionEnd } from "../login-session.ts";
import type { LoginResult } from "../realm.ts";
import { okEmpty } from "../wire/codec.ts";
import { shortId } from "../wire/identifiers.ts";
import type { Subjects } from "../wire/subjects.ts";
import { answerCall } from "./avatar-call.ts";
import { RemoteAvatar } from "./remote-avatar.ts";
import type { RemoteMind } from "./remote-mind.ts";
import { respondTo } from "./responder.ts";

export interface HostedSession {
  readonly shortId: string;
  readonly ended: Promise<SessionEnd>;
  shutdown(): Promise<SessionEnd>;
}

export interface HostSessionInput {
  readonly id: string;
  readonly session: LoginSession;
  readonly grant: LoginResult;
  readonly mind: RemoteMind;
  readonly logger: Logger;
}

/**
 * Subscribes the session's own subjects (one subscription, so a request for a session that is
 * not live gets no-responders, never silence). With a local avatar the portal answers `call`;
 * with a remote one the realm's process answers and the portal only counts it as activity.
 */
export function hostSession(bus: Bus, subjects: Subjects, input: HostSessionInput): HostedSession {
  const { id, session, grant, mind, logger } = input;
  const base = subjects.session(id);
  const local = !(grant.avatar instanceof RemoteAvatar);
  const short = shortId(id);
  const log = logger.child({ session: short });
  const serve = { logger: log, fallback: () => new AvatarError() };

  const subscription = bus.subscribe(`${base}.>`, (message) => {
    const verb = message.subject.slice(base.length + 1);
    switch (verb) {
      case "ping":
        void respondTo(message, () => (session.touch(), okEmpty()), serve);
        return;
      case "call":
        session.touch();
        if (local) void respondTo(message, (body) => answerCall(body, grant.avatar, log), serve);
        return;
      case "logout":
        void respondTo(message, async () => (await session.logout(), okEmpty()), serve);
        return;
      case "release":
        // The realm's process answers release for remote avatars; clients may not send it.
        if (local) void respondTo(message, () => Promise.reject(new BadRequest("release is not a client subject")), serve);
        return;
      default:
        void respondTo(message, () => Promise.reject(new BadRequest(`unknown session subject: ${verb}`)), serve);
    }
  });

  const ended = session.ended.then((end) => {
    subscription.unsubscribe();
    mind.end(end.reason ?? "logout");
    log.info({ event: "session-ended", reason: end.reason }, "session ended");
    return end;
  });
  return { shortId: short, ended, shutdown: () => session.shutdown().then(() => ended) };
}
