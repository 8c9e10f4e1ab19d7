/** Twisted's cred tests (portal.contract.ts) on the library face, and what the Portal checks of its realm's result. */
import { describe, expect, it, vi } from "vitest";
import type { AvatarId } from "../../actors/checkers/checker.ts";
import { InMemoryUsernamePasswordDatabaseDontUse } from "../../actors/checkers/in-memory.ts";
import { UsernamePassword } from "../../actors/credentials/username-password.ts";
import { CheckerUnavailable, LoginDenied, LoginFailed, NoSuchInterface, UnhandledCredentials } from "../../actors/errors.ts";
import { Anonymous } from "../../actors/credentials/anonymous.ts";
import { Portal } from "../../actors/portal.ts";
import type { Mind, Realm } from "../../actors/realm.ts";
import { portalContract } from "./portal.contract.ts";

portalContract("library face", async (realm) => {
  const portal = new Portal(realm);
  return {
    portal,
    realm,
    remote: false,
    async addChecker(checker, ...kinds) {
      portal.registerChecker(checker, ...kinds);
      return checker;
    },
    teardown: async () => undefined,
  };
});

describe("Portal and what its realm returns (library face)", () => {
  const checker = () => new InMemoryUsernamePasswordDatabaseDontUse({ bob: "hello" });
  const login = (realm: Realm) => new Portal(realm, [checker()]).login(new UsernamePassword("bob", "hello"), null, "test.Testable");

  // Twisted's realms return (interface, avatar, logout); here that is a realm bug, not a NoSuchInterface.
  it("rejects a Twisted-style [interface, avatar, logout] tuple with LoginFailed saying the result is malformed, and runs its logout", async () => {
    const logout = vi.fn();
    const realm = { requestAvatar: (_id: AvatarId, _mind: Mind | null, ...interfaces: string[]) => [interfaces[0], {}, logout] as never };
    const error = await login(realm).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoginFailed);
    expect(error).not.toBeInstanceOf(NoSuchInterface);
    expect((error as LoginFailed).code).toBe("LoginFailed");
    expect((error as LoginFailed).message).toMatch(/realm returned a malformed result/);
    expect(logout).toHaveBeenCalledTimes(1);
  });

  it("rejects anything else that is not an object with a string interface and a logout function, running a logout it has", async () => {
    const logout = vi.fn();
    for (const result of [null, undefined, "test.Testable", 7, { avatar: {} }, { interface: 5, avatar: {}, logout }, { interface: "test.Testable", avatar: {} }]) {
      const realm = { requestAvatar: async () => result as never };
      await expect(login(realm), JSON.stringify(result)).rejects.toThrow(/realm returned a malformed result/);
    }
    expect(logout).toHaveBeenCalledTimes(1);
  });

  it("still rejects an interface nobody asked for with NoSuchInterface, after logging it out", async () => {
    const logout = vi.fn();
    const error = await login({ requestAvatar: () => ({ interface: "other", avatar: {}, logout }) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoSuchInterface);
    expect(logout).toHaveBeenCalledTimes(1);
  });

  it("passes on a realm's LoginDenied, with its message", async () => {
    const realm = {
      requestAvatar: () => {
        throw new LoginDenied("too many logins today");
      },
    };
    const error = await login(realm).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoginDenied);
    expect(error).toBeInstanceOf(LoginFailed);
    expect((error as LoginDenied).message).toBe("too many logins today");
  });
});

describe("Portal: a login whose kinds' checker is down", () => {
  const ANONYMOUS_CREDENTIALS = new Anonymous();
  const gone = { credentialKinds: ["username-password"], requestAvatarId: () => Promise.reject(new CheckerUnavailable("checker gone is unavailable")) };
  const echoRealm: Realm = { requestAvatar: (id, _mind, ...interfaces) => ({ interface: interfaces[0]!, avatar: { id }, logout: () => undefined }) };

  it("answers 'no checker available' at once by default", async () => {
    const portal = new Portal(echoRealm, [gone]);
    const startedAt = performance.now();
    await expect(portal.login(new UsernamePassword("alice", "pw"), null, "echo")).rejects.toThrow("no checker available; try again");
    await expect(portal.login(new UsernamePassword("alice", "pw"), null, "echo")).rejects.toThrow("no checker available; try again");
    expect(performance.now() - startedAt).toBeLessThan(200);
  });

  it("waits, within checkerReturnWaitMs, for a checker of its kinds to be registered again, and logs in with it", async () => {
    const portal = new Portal(echoRealm, [gone], { checkerReturnWaitMs: () => 2000 });
    setTimeout(() => portal.registerChecker(new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" })), 200);
    // The first meets the gone checker and waits; the second finds the kind down and waits too.
    const [first, second] = await Promise.all([
      portal.login(new UsernamePassword("alice", "pw"), null, "echo"),
      new Promise((resolve) => setTimeout(resolve, 50)).then(() => portal.login(new UsernamePassword("alice", "pw"), null, "echo")),
    ]);
    expect((first.avatar as { id: AvatarId }).id).toBe("alice");
    expect((second.avatar as { id: AvatarId }).id).toBe("alice");
  });

  it("gives up with 'try again' once checkerReturnWaitMs is over, and never waits for a kind nobody ever handled", async () => {
    const portal = new Portal(echoRealm, [gone], { checkerReturnWaitMs: () => 300 });
    const startedAt = performance.now();
    await expect(portal.login(new UsernamePassword("alice", "pw"), null, "echo")).rejects.toThrow("no checker available; try again");
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(290);
    const anonymousAt = performance.now();
    await expect(portal.login(ANONYMOUS_CREDENTIALS, null, "echo")).rejects.toBeInstanceOf(UnhandledCredentials);
    expect(performance.now() - anonymousAt).toBeLessThan(100);
  });
});
