/** Hosts a realm as a NATS service: `P.realm.NAME.avatar`, and each avatar on its session's subjects. */
import type { Bus, BusSubscription } from "../../transports/bus.ts";
import { ANONYMOUS } from "../checkers/checker.ts";
import { AvatarError, BadRequest, LoginFailed, NoSuchInterface } from "../errors.ts";
import { silentLogger, type Logger } from "../logger.ts";
import type { Realm } from "../realm.ts";
import { okEmpty, okReply } from "../wire/codec.ts";
import { shortId } from "../wire/identifiers.ts";
import { parse, realmRequest } from "../wire/schemas.ts";
import { isSafeMindSubject, subjectsFor } from "../wire/subjects.ts";
import { answerCall } from "./avatar-call.ts";
import { RemoteMind } from "./remote-mind.ts";
import { respondTo, serveRequests } from "./responder.ts";

export interface ServeRealmOptions {
  /** The service name (`P.realm.NAME`); one token of letters, digits, `-` and `_`. */
  readonly name: string;
  readonly prefix?: string;
  readonly logger?: Logger;
}

export interface RealmService {
  readonly name: string;
  /** How many avatars this instance hosts now. */
  readonly hosted: number;
  /** Stops taking avatar requests and logs out every hosted avatar. */
  stop(): Promise<void>;
}

interface Hosted {
  readonly subscription: BusSubscription;
  readonly release: () => Promise<void>;
}

/** Serves `realm` until `stop()`; several instances of one name share the load (queue group). */
export async function serveRealm(bus: Bus, realm: Realm, options: ServeRealmOptions): Promise<RealmService> {
  const subjects = subjectsFor(options.prefix);
  const logger = (options.logger ?? silentLogger).child({ realm: options.name });
  const hosted = new Map<string, Hosted>();
  const fallback = () => new AvatarError();

  const host = (session: string, avatar: unknown, logout: () => void | Promise<void>, mind: RemoteMind): void => {
    const base = subjects.session(session);
    let released: Promise<void> | undefined;
    const release = () =>
      (released ??= (async () => {
        subscription.unsubscribe();
        hosted.delete(session);
        mind.close();
        try {
          await logout();
        } catch (error) {
          logger.warn({ session: shortId(session), err: String(error) }, "avatar logout threw");
        }
      })());
    const subscription = bus.subscribe(`${base}.>`, (message) => {
      const verb = message.subject.slice(base.length + 1);
      if (verb === "call") {
        void respondTo(message, (body) => answerCall(body, avatar, logger), { logger, fallback });
      } else if (verb === "release") {
        void respondTo(message, async () => (await release(), okEmpty()), { logger, fallback });
      }
      // ping and logout belong to the portal hosting the saga.
    });
    hosted.set(session, { subscription, release });
  };

  const subscription = serveRequests(
    bus,
    subjects.realmAvatar(options.name),
    async (body) => {
      const request = parse(realmRequest, body);
      if (request.mind !== null && !isSafeMindSubject(request.mind, subjects.prefix)) throw new BadRequest("invalid mind subject");
      if (!request.anonymous && request.avatarId === null) throw new BadRequest("invalid avatarId: required");
      if (hosted.has(request.session)) throw new BadRequest("session already hosted");
      const mind = new RemoteMind(bus, request.mind, request.session);
      const grant = await realm.requestAvatar(request.anonymous ? ANONYMOUS : request.avatarId!, mind, ...request.interfaces);
      if (!request.interfaces.includes(grant.interface)) {
        await grant.logout();
        throw new NoSuchInterface();
      }
      host(request.session, grant.avatar, grant.logout, mind);
      return okReply({ interface: grant.interface });
    },
    { queue: subjects.realmQueue(options.name), logger, fallback: () => new LoginFailed() },
  );
  await bus.flush();

  return {
    name: options.name,
    get hosted() {
      return hosted.size;
    },
    async stop() {
      subscription.unsubscribe();
      await Promise.all([...hosted.values()].map((h) => h.release()));
    },
  };
}
