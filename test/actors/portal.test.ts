/** Twisted's cred tests (portal.contract.ts) on the library face, and what the Portal checks of its realm's result. */
import { describe, expect, it, vi } from "vitest";
import type { AvatarId } from "../../actors/checkers/checker.ts";
import { InMemoryUsernamePasswordDatabaseDontUse } from "../../actors/checkers/in-memory.ts";
import { UsernamePassword } from "../../actors/credentials/username-password.ts";
import { LoginDenied, LoginFailed, NoSuchInterface } from "../../actors/errors.ts";
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
