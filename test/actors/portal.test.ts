/** Twisted's cred tests (twisted/test/test_cred.py), ported to the library face. */
import { describe, expect, it } from "vitest";
import { ANONYMOUS, type Checker } from "../../actors/checkers/checker.ts";
import { AllowAnonymousAccess } from "../../actors/checkers/allow-anonymous.ts";
import { InMemoryUsernamePasswordDatabaseDontUse } from "../../actors/checkers/in-memory.ts";
import { Anonymous } from "../../actors/credentials/anonymous.ts";
import { UsernamePassword } from "../../actors/credentials/username-password.ts";
import { UsernameHashedPassword } from "../../actors/credentials/username-hashed-password.ts";
import {
  LoginFailed,
  NoSuchInterface,
  UnauthorizedLogin,
  UnhandledCredentials,
  UNAUTHORIZED_MESSAGE,
} from "../../actors/errors.ts";
import { Portal } from "../../actors/portal.ts";
import { TestAvatar, TestRealm } from "../support/test-realm.ts";

/** Credentials of a kind derived from username-password (Twisted's IDerivedCredentials). */
class DerivedCredentials extends UsernamePassword {
  override readonly kinds = ["test.derived", UsernamePassword.kind];
}

function setUp() {
  const realm = new TestRealm();
  const checker = new InMemoryUsernamePasswordDatabaseDontUse();
  checker.addUser("bob", "hello");
  const portal = new Portal(realm);
  portal.registerChecker(checker);
  return { realm, checker, portal };
}

describe("Portal (library face)", () => {
  it("lists exactly the registered credentials kinds", () => {
    const { portal } = setUp();
    expect(portal.listCredentialsKinds()).toEqual(["username-password", "username-hashed-password"]);
  });

  it("logs in with the requested interface, an avatar providing it, and a logout that logs it out", async () => {
    const { portal, realm } = setUp();
    const { interface: iface, avatar, logout } = await portal.login(new UsernamePassword("bob", "hello"), null, "test.Testable");
    expect(iface).toBe("test.Testable");
    expect(avatar).toBeInstanceOf(TestAvatar);
    expect((avatar as TestAvatar).name).toBe("bob");
    expect(realm.avatars).toHaveLength(1);
    expect((avatar as TestAvatar).loggedIn).toBe(true);
    await logout();
    expect((avatar as TestAvatar).loggedIn).toBe(false);
  });

  it("handles credentials of a derived kind with the base kind's checker", async () => {
    const { portal } = setUp();
    const { avatar } = await portal.login(new DerivedCredentials("bob", "hello"), null, "test.Testable");
    expect((avatar as TestAvatar).name).toBe("bob");
  });

  it("refuses a wrong password and an unknown user with the same UnauthorizedLogin", async () => {
    const { portal } = setUp();
    const wrong = await portal.login(new UsernamePassword("bob", "h3llo"), null, "test.Testable").catch((e) => e);
    const unknown = await portal.login(new UsernamePassword("jay", "hello"), null, "test.Testable").catch((e) => e);
    for (const error of [wrong, unknown]) {
      expect(error).toBeInstanceOf(UnauthorizedLogin);
      expect(error).toBeInstanceOf(LoginFailed);
      expect(error.code).toBe("UnauthorizedLogin");
      expect(error.message).toBe(UNAUTHORIZED_MESSAGE);
    }
    expect(wrong.message).toBe(unknown.message);
  });

  it("checks a client-side hash with username-hashed-password", async () => {
    const { portal } = setUp();
    const { avatar } = await portal.login(new UsernameHashedPassword("bob", "hello"), null, "test.Testable");
    expect((avatar as TestAvatar).name).toBe("bob");
    await expect(portal.login(new UsernameHashedPassword("bob", "nope"), null, "test.Testable")).rejects.toBeInstanceOf(
      UnauthorizedLogin,
    );
  });

  it("gives ANONYMOUS for anonymous credentials with AllowAnonymousAccess", async () => {
    const realm = new TestRealm();
    const portal = new Portal(realm, [new AllowAnonymousAccess()]);
    const { avatar } = await portal.login(new Anonymous(), null, "test.Testable");
    expect((avatar as TestAvatar).name).toBe(ANONYMOUS);
  });

  it("rejects anonymous credentials with UnhandledCredentials when only a password checker is registered", async () => {
    const { portal } = setUp();
    const error = await portal.login(new Anonymous(), null, "test.Testable").catch((e) => e);
    expect(error).toBeInstanceOf(UnhandledCredentials);
    expect(error).toBeInstanceOf(LoginFailed);
    expect(error.code).toBe("UnhandledCredentials");
  });

  it("serves both kinds when both checkers are registered", async () => {
    const { portal, checker } = setUp();
    portal.registerChecker(new AllowAnonymousAccess());
    expect(portal.listCredentialsKinds()).toContain("anonymous");
    const named = await portal.login(new UsernamePassword("bob", "hello"), null, "test.Testable");
    const anon = await portal.login(new Anonymous(), null, "test.Testable");
    expect((named.avatar as TestAvatar).name).toBe("bob");
    expect((anon.avatar as TestAvatar).name).toBe(ANONYMOUS);
    expect(checker).toBeDefined();
  });

  it("gives two concurrent logins two distinct avatars", async () => {
    const { portal } = setUp();
    const [a, b] = await Promise.all([
      portal.login(new UsernamePassword("bob", "hello"), null, "test.Testable"),
      portal.login(new UsernamePassword("bob", "hello"), null, "test.Testable"),
    ]);
    expect(a.avatar).not.toBe(b.avatar);
  });

  it("rejects with NoSuchInterface when the realm supports none of the interfaces", async () => {
    const { portal } = setUp();
    await expect(portal.login(new UsernamePassword("bob", "hello"), null, "test.Other")).rejects.toBeInstanceOf(
      NoSuchInterface,
    );
  });

  it("picks the first interface the realm supports, in the client's order of preference", async () => {
    const portal = new Portal(new TestRealm(["a", "b"]), [new AllowAnonymousAccess()]);
    const { interface: iface } = await portal.login(new Anonymous(), null, "c", "b", "a");
    expect(iface).toBe("b");
  });

  it("uses the later of two checkers registered for the same kind", async () => {
    const { portal } = setUp();
    const other = new InMemoryUsernamePasswordDatabaseDontUse({ carol: "pw" });
    portal.registerChecker(other, "username-password");
    expect(portal.listCredentialsKinds()).toEqual(["username-password", "username-hashed-password"]);
    await expect(portal.login(new UsernamePassword("carol", "pw"), null, "test.Testable")).resolves.toBeDefined();
    await expect(portal.login(new UsernamePassword("bob", "hello"), null, "test.Testable")).rejects.toBeInstanceOf(
      UnauthorizedLogin,
    );
  });

  it("does not fall back to another checker after a refusal", async () => {
    const { portal } = setUp();
    portal.registerChecker(new InMemoryUsernamePasswordDatabaseDontUse({ carol: "pw" }), "username-password");
    // bob is known to the first checker only: a refusal by the active one is final.
    await expect(portal.login(new UsernamePassword("bob", "hello"), null, "test.Testable")).rejects.toBeInstanceOf(
      UnauthorizedLogin,
    );
  });

  it("accepts a realm that answers synchronously", async () => {
    const portal = new Portal(
      { requestAvatar: (id, _mind, ...ifaces) => ({ interface: ifaces[0]!, avatar: { id }, logout: () => undefined }) },
      [new AllowAnonymousAccess()],
    );
    const { avatar } = await portal.login(new Anonymous(), null, "x");
    expect(avatar).toEqual({ id: ANONYMOUS });
  });

  it("runs the realm's logout exactly once however often logout is called", async () => {
    const { portal } = setUp();
    const { avatar, logout } = await portal.login(new UsernamePassword("bob", "hello"), null, "test.Testable");
    await Promise.all([logout(), logout()]);
    await logout();
    expect((avatar as TestAvatar).logouts).toBe(1);
  });

  it("reports a checker that throws an unexpected error as LoginFailed, not as a refusal", async () => {
    const broken: Checker = {
      credentialKinds: ["username-password"],
      requestAvatarId: () => {
        throw new Error("database on fire: password=hello");
      },
    };
    const portal = new Portal(new TestRealm(), [broken]);
    const error = await portal.login(new UsernamePassword("bob", "hello"), null, "test.Testable").catch((e) => e);
    expect(error).toBeInstanceOf(LoginFailed);
    expect(error).not.toBeInstanceOf(UnauthorizedLogin);
    expect(error.message).not.toContain("hello");
  });

  it("passes the mind to the realm", async () => {
    const { portal } = setUp();
    const mind = { notify: () => undefined };
    const { avatar } = await portal.login(new UsernamePassword("bob", "hello"), mind, "test.Testable");
    expect((avatar as TestAvatar).mind).toBe(mind);
  });
});
