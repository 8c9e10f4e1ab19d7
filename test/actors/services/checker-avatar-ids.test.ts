/** A checker's avatarId enters a session only if it names somebody: not "", not 50,000 characters, no control characters. */
import { afterEach, describe, expect, it } from "vitest";
import { TestRealm } from "../../support/test-realm.ts";
import {
  connect,
  InMemoryUsernamePasswordDatabaseDontUse,
  LoginFailed,
  Portal,
  RemoteChecker,
  RemoteRealm,
  serveChecker,
  servePortal,
  serveRealm,
  SimpleRealm,
  UsernamePassword,
  type Checker,
} from "../../../actors/index.ts";
import { MAX_AVATAR_ID_LENGTH } from "../../../actors/checkers/avatar-id.ts";
import { MemoryRateLimiter } from "../../../actors/rate-limit/index.ts";
import type { Bus } from "../../../transports/bus.ts";
import { createInProcessBus } from "../../../transports/index.ts";

const credentials = new UsernamePassword("alice", "pw");

const INVALID: Array<[string, string]> = [
  ["an empty avatarId", ""],
  ["a 50,000-character avatarId", "a".repeat(50_000)],
  ["one character over the bound", "a".repeat(MAX_AVATAR_ID_LENGTH + 1)],
  ["a newline", "a.b.>*$ \n"],
  ["a NUL", "alice\u0000admin"],
  ["a C1 control (NEL)", "alice\u0085"],
  ["a lone surrogate", "alice\ud800"],
];

const VALID: Array<[string, string]> = [
  ["dots, wildcards, a dollar and a space", "a.b.>*$ x"],
  ["an e-mail address", "alice@example.com"],
  ["non-ASCII letters and an emoji", "Zoë 😀"],
  ["exactly the bound", "a".repeat(MAX_AVATAR_ID_LENGTH)],
];

/** A checker service answering every check with `avatarId`, as one written from PROTOCOL.md might. */
function fakeCheckerService(bus: Bus, avatarId: string): void {
  bus.subscribe("cred.checker.fake", (message) => {
    message.respond(new TextEncoder().encode(JSON.stringify({ ok: true, avatarId })));
  });
}

describe("a remote checker's avatarId", () => {
  let bus: Bus | undefined;
  afterEach(async () => {
    await bus?.close();
    bus = undefined;
  });

  it.each(INVALID)("fails the login with LoginFailed, not a session, for %s", async (_what, avatarId) => {
    bus = createInProcessBus();
    fakeCheckerService(bus, avatarId);
    const checker = new RemoteChecker(bus, "fake", ["username-password"]);
    const error = await Promise.resolve(checker.requestAvatarId(credentials)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoginFailed);
    expect(error).toMatchObject({ code: "LoginFailed", message: "checker fake answered an invalid avatarId" });
    let realmAsked = false;
    const realm = new SimpleRealm();
    const portal = new Portal({ requestAvatar: (...args: Parameters<SimpleRealm["requestAvatar"]>) => ((realmAsked = true), realm.requestAvatar(...args)) }, [checker]);
    await expect(portal.login(credentials, null, "echo")).rejects.toMatchObject({ code: "LoginFailed" });
    expect(realmAsked).toBe(false);
  });

  it.each(VALID)("is accepted with %s", async (_what, avatarId) => {
    bus = createInProcessBus();
    fakeCheckerService(bus, avatarId);
    const checker = new RemoteChecker(bus, "fake", ["username-password"]);
    expect(await checker.requestAvatarId(credentials)).toBe(avatarId);
  });
});

describe("a local checker's avatarId, where it enters the saga (Portal)", () => {
  const answering = (avatarId: unknown): Checker => ({ credentialKinds: ["username-password"], requestAvatarId: () => avatarId as string });

  it.each([...INVALID, ["a number", 42 as unknown as string], ["undefined", undefined as unknown as string]])(
    "fails the login with LoginFailed for %s",
    async (_what, avatarId) => {
      const portal = new Portal(new SimpleRealm(), [answering(avatarId)]);
      const error = await portal.login(credentials, null, "echo").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LoginFailed);
      expect(error).toMatchObject({ code: "LoginFailed", message: "the checker answered an invalid avatarId" });
    },
  );

  it.each(VALID)("logs in with %s, and the realm gets that avatarId as it came", async (_what, avatarId) => {
    const realm = new TestRealm(["echo"]);
    const portal = new Portal(realm, [answering(avatarId)]);
    const { logout } = await portal.login(credentials, null, "echo");
    expect(realm.avatars.map((avatar) => avatar.name)).toEqual([avatarId]);
    await logout();
  });
});

it("carries an avatarId with '.', '>', '*', '$' and a space through a checker service, a rate-limited portal and a realm service", async () => {
  const bus = createInProcessBus();
  try {
    const name = "a.b.>*$ x";
    await serveChecker(bus, new InMemoryUsernamePasswordDatabaseDontUse({ [name]: "pw" }), { name: "memory" });
    await serveRealm(bus, new SimpleRealm(), { name: "echo" });
    await servePortal(bus, { realm: new RemoteRealm(bus, "echo"), rateLimiter: new MemoryRateLimiter() });
    const client = connect(bus);
    await expect(client.login(new UsernamePassword(name, "wrong"), { interfaces: ["echo"] })).rejects.toMatchObject({ code: "UnauthorizedLogin" });
    const session = await client.login(new UsernamePassword(name, "pw"), { interfaces: ["echo"] });
    expect(session.avatarId).toBe(name);
    expect(await session.call("whoami")).toBe(name);
    await session.logout();
  } finally {
    await bus.drain();
  }
});
