/**
 * What a session's subjects answer while its login is still under way (the checker or the realm
 * answering). A realm may hand its Mind a notification while it makes the avatar, and the
 * notification names the session: a client can send `logout` before its login reply comes.
 * Answered `SessionEnded`, as a session that never existed, that logout was dropped, the session
 * went live right after, and the avatar stayed until the heartbeat ran out (an outside probe).
 */
import type { BusMessage } from "../../transports/bus.ts";
import { AvatarError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { LoginSession } from "../login-session.ts";
import { okEmpty } from "../wire/codec.ts";
import type { SessionReceiver } from "./ended-sessions.ts";
import { respondTo } from "./responder.ts";

const fallback = () => new AvatarError();

/**
 * A `logout` logs out at once: the saga releases the avatar as soon as the realm grants it, and
 * the login is refused (`LoginFailed`, "login cancelled"); the logout is answered `{"ok": true}`
 * once the login has its outcome, without waiting for the avatar. Anything else waits for that
 * outcome (`settle`: the session is live, or the login failed) and is answered by what then holds
 * the subject (`receiveHeld` where it has one): the session, or a session that never was.
 */
export class PendingSession implements SessionReceiver {
  // Made only when a message comes before the outcome: most logins never get one.
  #settled: Promise<void> | undefined;
  #settle: (() => void) | undefined;
  #isSettled = false;

  constructor(
    private readonly base: string,
    private readonly session: LoginSession,
    private readonly route: { to: SessionReceiver },
    private readonly logger: Logger,
  ) {}

  /** The login has its outcome, and `route.to` what answers the subject from now on. */
  settle(): void {
    this.#isSettled = true;
    this.#settle?.();
  }

  receive(message: BusMessage): Promise<void> | undefined {
    if (message.subject === `${this.base}.logout`) {
      return respondTo(
        message,
        async () => {
          // Not awaited: a realm that never answers would hold the reply for the saga's 60 s wait
          // to release a late avatar. The login's outcome comes at once (refused, or live and ending).
          this.session.logout().catch(() => undefined);
          await this.#outcome();
          return okEmpty();
        },
        { logger: this.logger, fallback },
      );
    }
    return this.#outcome().then(() => {
      const to = this.route.to;
      if (to === this) return undefined;
      return to.receiveHeld ? to.receiveHeld(message) : to.receive(message);
    });
  }

  #outcome(): Promise<void> {
    if (this.#isSettled) return Promise.resolve();
    return (this.#settled ??= new Promise((resolve) => (this.#settle = resolve)));
  }
}
