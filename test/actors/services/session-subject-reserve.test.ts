/** Session subscriptions made ahead of logins: off the login's path, never silent, an identifier no realm saw reused, one a realm saw never. */
import { afterEach, describe, expect, it } from "vitest";
import { InMemoryUsernamePasswordDatabaseDontUse } from "../../../actors/checkers/in-memory.ts";
import { AvatarError, NoSuchInterface } from "../../../actors/errors.ts";
import { silentLogger } from "../../../actors/logger.ts";
import type { Mind, Realm } from "../../../actors/realm.ts";
import { SimpleRealm } from "../../../actors/realms/echo.ts";
import { servePortal, type PortalService } from "../../../actors/services/serve-portal.ts";
import { SessionSubjectReserve } from "../../../actors/services/session-subject-reserve.ts";
import { subjectsFor } from "../../../actors/wire/subjects.ts";
import type { Bus } from "../../../transports/bus.ts";
import { NoResponders } from "../../../transports/errors.ts";
import { createInProcessBus } from "../../../transports/in-process.ts";
import { json, parse, sleep } from "../../support/wire.ts";

/** Records every subject subscribed on `bus`, in order. */
function recordSubscriptions(bus: Bus): string[] {
  const subscribed: string[] = [];
  const subscribe = bus.subscribe.bind(bus);
  bus.subscribe = (subject, handler, options) => {
    subscribed.push(subject);
    return subscribe(subject, handler, options);
  };
  return subscribed;
}

const sessionSubscriptions = (subscribed: readonly string[]) => subscribed.filter((subject) => subject.startsWith("cred.session."));
const login = (bus: Bus, password: string, extra: Record<string, unknown> = {}) =>
  bus.request("cred.login", json({ credentials: { kind: "username-password", username: "alice", password }, interfaces: ["echo"], ...extra })).then(parse);
/** A turn for the reserve's refill (it runs on setImmediate). */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

const open: Array<{ portal: PortalService; bus: Bus }> = [];
afterEach(async () => {
  for (const { portal, bus } of open.splice(0)) {
    await portal.close();
    await bus.drain();
  }
});

async function portalOn(options: { realm?: Realm; sessionReserve?: number } = {}) {
  const bus = createInProcessBus();
  const subscribed = recordSubscriptions(bus);
  const portal = await servePortal(bus, {
    realm: options.realm ?? new SimpleRealm(),
    checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })],
    discoverCheckers: false,
    rateLimiter: null,
    ...(options.sessionReserve === undefined ? {} : { sessionReserve: options.sessionReserve }),
  });
  open.push({ portal, bus });
  return { bus, portal, subscribed };
}

describe("servePortal's session reserve", () => {
  it("hands a login a session whose subscription was made before the login came", async () => {
    const { bus, subscribed } = await portalOn();
    for (let i = 0; i < 100; i++) {
      const before = new Set(subscribed);
      const reply = await login(bus, "secret");
      expect(reply["ok"]).toBe(true);
      expect(before.has(`cred.session.${reply["session"]}.>`)).toBe(true);
      // Sessions work as before on their pre-made subscription.
      expect(parse(await bus.request(`cred.session.${reply["session"]}.ping`, json({})))).toEqual({ ok: true });
      await nextTurn();
    }
  });

  it("subscribes each session during its login with sessionReserve 0", async () => {
    const { bus, subscribed } = await portalOn({ sessionReserve: 0 });
    expect(sessionSubscriptions(subscribed)).toEqual([]);
    const before = new Set(subscribed);
    const reply = await login(bus, "secret");
    expect(before.has(`cred.session.${reply["session"]}.>`)).toBe(false);
    expect(sessionSubscriptions(subscribed)).toEqual([`cred.session.${reply["session"]}.>`]);
  });

  it("makes no subscription for refused passwords: their identifiers go back to the reserve", async () => {
    const { bus, subscribed } = await portalOn();
    await nextTurn();
    const warm = sessionSubscriptions(subscribed).length;
    for (let i = 0; i < 50; i++) {
      expect((await login(bus, "wrong"))["error"]["code"]).toBe("UnauthorizedLogin");
      await nextTurn();
    }
    expect(sessionSubscriptions(subscribed).length).toBe(warm);
  });

  it("never hands out again an identifier a realm saw in a login that failed, and stops answering on it", async () => {
    const seen: string[] = [];
    const realm: Realm = {
      requestAvatar(avatarId, mind: Mind | null, ...interfaces) {
        seen.push((mind as unknown as { session: string }).session);
        if (seen.length === 1) throw new NoSuchInterface();
        return new SimpleRealm().requestAvatar(avatarId, mind, ...interfaces);
      },
    };
    const { bus } = await portalOn({ realm });
    const refused = await login(bus, "secret", { mind: "_INBOX.reserve-test" });
    expect(refused["error"]["code"]).toBe("NoSuchInterface");
    const reply = await login(bus, "secret", { mind: "_INBOX.reserve-test" });
    expect(reply["session"]).toBe(seen[1]);
    expect(seen[1]).not.toBe(seen[0]);
    await sleep(10);
    await expect(bus.request(`cred.session.${seen[0]}.ping`, json({}), { timeoutMs: 500 })).rejects.toBeInstanceOf(NoResponders);
  });
});

describe("SessionSubjectReserve", () => {
  const subjects = subjectsFor("cred");
  const options = { logger: silentLogger, fallback: () => new AvatarError() };

  it("answers a request on a reserved subject not yet given to a session with SessionEnded, never silence", async () => {
    const bus = createInProcessBus();
    const reserve = new SessionSubjectReserve(bus, subjects, { ...options, size: 4 });
    reserve.fill();
    expect(reserve.ready).toBe(4);
    const reserved = reserve.take();
    for (const verb of ["ping", "call", "logout", "release"]) {
      const reply = parse(await bus.request(`${reserved.base}.${verb}`, json({})));
      expect(reply["error"]["code"]).toBe("SessionEnded");
    }
    reserve.giveBack(reserved);
    expect(parse(await bus.request(`${reserved.base}.ping`, json({})))["error"]["code"]).toBe("SessionEnded");
    await reserve.close();
    await expect(bus.request(`${reserved.base}.ping`, json({}), { timeoutMs: 500 })).rejects.toBeInstanceOf(NoResponders);
    await bus.drain();
  });

  it("refills once half is taken, on the next turn, and makes one on the spot when none is left", async () => {
    const bus = createInProcessBus();
    const reserve = new SessionSubjectReserve(bus, subjects, { ...options, size: 4 });
    reserve.fill();
    const ids = new Set<string>();
    ids.add(reserve.take().id);
    expect(reserve.ready).toBe(3);
    ids.add(reserve.take().id);
    expect(reserve.ready).toBe(2);
    for (let i = 0; i < 4; i++) ids.add(reserve.take().id);
    expect(reserve.ready).toBe(0);
    expect(ids.size).toBe(6);
    await nextTurn();
    expect(reserve.ready).toBe(4);
    await reserve.close();
    await bus.drain();
  });

  it("refuses a size that is not an integer from 0 to 10000", () => {
    const bus = createInProcessBus();
    for (const size of [-1, 1.5, 10_001, Number.NaN]) expect(() => new SessionSubjectReserve(bus, subjects, { ...options, size })).toThrow(RangeError);
  });
});
