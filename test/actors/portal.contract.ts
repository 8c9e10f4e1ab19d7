/**
 * Twisted's cred tests, ported as one suite and run on two setups: the library face (Portal,
 * checkers and realm in one object graph: portal.test.ts) and the same Portal with its checkers
 * and realm served over a real nats-server (portal.nats.test.ts).
 *
 * Source: twisted/twisted src/twisted/cred/test/test_cred.py (and its ancestors
 * twisted/test/test_newcred.py, twisted/test/test_cred.py). Twisted has no `PortalTests` class;
 * its Portal tests are `CredTests`. Mapping, Twisted → here:
 *
 *   CredTests.test_listCheckers          → "lists exactly the registered credentials kinds"
 *   CredTests.test_basicLogin            → "logs in with the requested interface, … logout logs it out"
 *   CredTests.test_derivedInterface      → "handles credentials of a derived kind with the base kind's checker, …"
 *   CredTests.test_failedLoginPassword   → "refuses a wrong password and an unknown user with the same UnauthorizedLogin"
 *   CredTests.test_failedLoginName       → (same test)
 *   HashedPasswordOnDiskDatabaseTests.testGoodCredentials_login
 *                                        → "logs several users in at once, each to an avatar of their own id"
 *   HashedPasswordOnDiskDatabaseTests.testBadCredentials
 *                                        → "refuses every user's wrong password with UnauthorizedLogin, creating no avatar"
 *   HashedPasswordOnDiskDatabaseTests.testHashedCredentials
 *                                        → "rejects with UnhandledCredentials the kind a checker was not registered for"
 *   CheckersMixin.test_positive          → "resolves good credentials to their avatar ids through the checker the portal uses"
 *   CheckersMixin.test_negative          → "refuses bad credentials with UnauthorizedLogin through the checker the portal uses"
 *
 * The HashedPasswordOnDiskDatabaseTests and CheckersMixin behaviours are ported at the Portal and
 * checker level with the in-memory checker; what is specific to FilePasswordDB (OnDiskDatabaseTests,
 * file formats, crypt hashes, caching, case sensitivity) belongs to the on-disk checker's own issue.
 * Not ported: NetworkHashedFilePasswordDBCheckerTests (its credentials subclass overrides
 * checkPassword, a behaviour of the credentials object that FilePasswordDB relies on and that
 * cannot cross the wire), UsernameHashedPasswordTests.test_deprecation (no deprecation here), and
 * Twisted's TestRealm reusing one avatar per id (our realm contract hands out one avatar per login).
 *
 * The other tests cover Portcullis's own Portal behaviour (anonymous access, interface choice,
 * checker precedence, sync realms, logout, error hygiene, minds).
 *
 * Avatar identity is always checked through the realm's records (`realm.avatars[i]`), so the same
 * assertions hold when the caller only holds a `RemoteAvatar`; in remote mode the avatar must also
 * be a `RemoteAvatar` whose `callRemote("whoami")` answers the avatar id.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ANONYMOUS, type AvatarId, type Checker } from "../../actors/checkers/checker.ts";
import { AllowAnonymousAccess } from "../../actors/checkers/allow-anonymous.ts";
import { InMemoryUsernamePasswordDatabaseDontUse } from "../../actors/checkers/in-memory.ts";
import { Anonymous } from "../../actors/credentials/anonymous.ts";
import { UsernamePassword } from "../../actors/credentials/username-password.ts";
import { UsernameHashedPassword } from "../../actors/credentials/username-hashed-password.ts";
import type { Credentials, WireCredentials } from "../../actors/credentials/credentials.ts";
import {
  LoginFailed,
  NoSuchInterface,
  UnauthorizedLogin,
  UnhandledCredentials,
  UNAUTHORIZED_MESSAGE,
} from "../../actors/errors.ts";
import type { Portal } from "../../actors/portal.ts";
import type { LoginResult, Mind, Realm } from "../../actors/realm.ts";
import { RemoteAvatar } from "../../actors/services/remote-avatar.ts";
import { RemoteMind } from "../../actors/services/remote-mind.ts";
import { TestAvatar, TestRealm } from "../support/test-realm.ts";
import { sleep, waitFor } from "../support/wire.ts";

/** One Portal wired to `realm`, with no checker registered yet. */
export interface PortalSetup<R extends Realm> {
  readonly portal: Portal;
  /** The realm whose records the assertions inspect (in remote mode: the one being served). */
  readonly realm: R;
  /** True when the portal reaches its realm and checkers over a bus (avatars are `RemoteAvatar`s). */
  readonly remote: boolean;
  /** Makes `checker` available to the portal for `kinds` (default: its own); resolves to what the portal registered. */
  addChecker(checker: Checker, ...kinds: string[]): Promise<Checker>;
  teardown(): Promise<void>;
}

export type MakeSetup = <R extends Realm>(realm: R) => Promise<PortalSetup<R>>;

/** A realm that records its avatars, as TestRealm does, but answers synchronously. */
class SyncTestRealm implements Realm {
  readonly avatars: TestAvatar[] = [];
  requestAvatar(id: AvatarId, mind: Mind | null, ...interfaces: string[]): LoginResult {
    const avatar = new TestAvatar(id, mind);
    this.avatars.push(avatar);
    return { interface: interfaces[0]!, avatar, logout: () => avatar.logout() };
  }
}

/**
 * Twisted's DerivedCredentials: of a kind derived from username-password (IDerivedCredentials),
 * and no UsernamePassword: checkers take it by its shape, a `username` and `checkPassword`.
 */
class DerivedCredentials implements Credentials {
  readonly kinds = ["test.derived", UsernamePassword.kind];
  constructor(readonly username: string, readonly password: string) {}
  checkPassword(password: string): boolean {
    return password === this.password;
  }
  toWire(): WireCredentials {
    return { kind: UsernamePassword.kind, username: this.username, password: this.password };
  }
  toJSON(): unknown {
    return { kind: "test.derived", username: this.username };
  }
}

/** CheckersMixin's users (HashlessFilePasswordDBMixin._validCredentials) and its bad credentials. */
const USERS: ReadonlyArray<readonly [string, string]> = [
  ["user1", "password1"],
  ["user2", "password2"],
  ["user3", "password3"],
];
const BAD: ReadonlyArray<readonly [string, string]> = [
  ["user1", "password3"],
  ["user2", "password1"],
  ["bloof", "blarf"],
];



export function portalContract(name: string, makeSetup: MakeSetup): void {
  describe(`Portal (${name})`, () => {
    const live: Array<PortalSetup<Realm>> = [];

    afterEach(async () => {
      await Promise.all(live.splice(0).map((setup) => setup.teardown()));
    });

    /** A portal on `realm` with no checker. */
    async function bare<R extends Realm>(realm: R): Promise<PortalSetup<R>> {
      const setup = await makeSetup(realm);
      live.push(setup);
      return setup;
    }

    /** Twisted's CredTests.setUp: a TestRealm and an in-memory checker knowing bob/hello. */
    async function setUp(realm = new TestRealm()) {
      const setup = await bare(realm);
      const checker = new InMemoryUsernamePasswordDatabaseDontUse();
      checker.addUser("bob", "hello");
      await setup.addChecker(checker);
      return setup;
    }

    /**
     * The realm's record of the avatar a login returned, after checking that the caller got the
     * avatar itself (library face) or a RemoteAvatar reaching it (remote), and that it is `id`'s.
     */
    async function recordOf(
      setup: PortalSetup<Realm & { readonly avatars: readonly TestAvatar[] }>,
      result: LoginResult,
      id: AvatarId,
    ): Promise<TestAvatar> {
      let record: TestAvatar | undefined;
      if (setup.remote) {
        expect(result.avatar).toBeInstanceOf(RemoteAvatar);
        const remote = result.avatar as RemoteAvatar;
        expect(await remote.callRemote("whoami")).toBe(id === ANONYMOUS ? "anonymous" : id);
        // The avatar says which of the realm's avatars it is (a login without a mind gives the
        // realm none to tell them apart by).
        const serial = await remote.callRemote("number");
        record = setup.realm.avatars.find((a) => a.serial === serial);
      } else {
        expect(result.avatar).toBeInstanceOf(TestAvatar);
        record = setup.realm.avatars.find((a) => a === result.avatar);
      }
      expect(record, "the realm's record of the returned avatar").toBeDefined();
      expect(record!.name).toBe(id);
      return record!;
    }

    /** Calls `announce` on the avatar, the way its holder can. */
    async function announce(setup: PortalSetup<Realm>, avatar: unknown, text: string): Promise<void> {
      if (setup.remote) await (avatar as RemoteAvatar).callRemote("announce", text);
      else (avatar as TestAvatar).announce(text);
    }

    // CredTests.test_listCheckers
    it("lists exactly the registered credentials kinds", async () => {
      const { portal } = await setUp();
      expect(portal.listCredentialsKinds()).toEqual(["username-password", "username-hashed-password"]);
    });

    // CredTests.test_basicLogin
    it("logs in with the requested interface, an avatar providing it, logged in until logout logs it out", async () => {
      const setup = await setUp();
      const result = await setup.portal.login(new UsernamePassword("bob", "hello"), null, "test.Testable");
      expect(result.interface).toBe("test.Testable");
      const record = await recordOf(setup, result, "bob");
      expect(setup.realm.avatars).toHaveLength(1);
      expect(record.loggedIn).toBe(true);
      expect(record.logouts).toBe(0);
      await result.logout();
      expect(record.loggedIn).toBe(false);
      expect(record.logouts).toBe(1);
    });

    // CredTests.test_derivedInterface
    it("handles credentials of a derived kind with the base kind's checker, through login and logout", async () => {
      const setup = await setUp();
      const result = await setup.portal.login(new DerivedCredentials("bob", "hello"), null, "test.Testable");
      expect(result.interface).toBe("test.Testable");
      const record = await recordOf(setup, result, "bob");
      expect(record.loggedIn).toBe(true);
      await result.logout();
      expect(record.loggedIn).toBe(false);
    });

    // CredTests.test_failedLoginPassword, CredTests.test_failedLoginName
    it("refuses a wrong password and an unknown user with the same UnauthorizedLogin", async () => {
      const { portal, realm } = await setUp();
      const wrong = await portal.login(new UsernamePassword("bob", "h3llo"), null, "test.Testable").catch((e) => e);
      const unknown = await portal.login(new UsernamePassword("jay", "hello"), null, "test.Testable").catch((e) => e);
      for (const error of [wrong, unknown]) {
        expect(error).toBeInstanceOf(UnauthorizedLogin);
        expect(error).toBeInstanceOf(LoginFailed);
        expect(error.code).toBe("UnauthorizedLogin");
        expect(error.message).toBe(UNAUTHORIZED_MESSAGE);
      }
      expect(wrong.message).toBe(unknown.message);
      expect(realm.avatars).toHaveLength(0);
    });

    it("checks a client-side hash with username-hashed-password", async () => {
      const setup = await setUp();
      const result = await setup.portal.login(new UsernameHashedPassword("bob", "hello"), null, "test.Testable");
      await recordOf(setup, result, "bob");
      await expect(
        setup.portal.login(new UsernameHashedPassword("bob", "nope"), null, "test.Testable"),
      ).rejects.toBeInstanceOf(UnauthorizedLogin);
    });

    it("gives ANONYMOUS for anonymous credentials with AllowAnonymousAccess", async () => {
      const setup = await bare(new TestRealm());
      await setup.addChecker(new AllowAnonymousAccess());
      const result = await setup.portal.login(new Anonymous(), null, "test.Testable");
      const record = await recordOf(setup, result, ANONYMOUS);
      expect(record.name).toBe(ANONYMOUS);
    });

    it("rejects anonymous credentials with UnhandledCredentials when only a password checker is registered", async () => {
      const { portal, realm } = await setUp();
      const error = await portal.login(new Anonymous(), null, "test.Testable").catch((e) => e);
      expect(error).toBeInstanceOf(UnhandledCredentials);
      expect(error).toBeInstanceOf(LoginFailed);
      expect(error.code).toBe("UnhandledCredentials");
      // Twisted's words: "No checker for %s".
      expect(error.message).toBe("No checker for anonymous");
      expect(realm.avatars).toHaveLength(0);
    });

    it("serves both kinds when both checkers are registered", async () => {
      const setup = await setUp();
      await setup.addChecker(new AllowAnonymousAccess());
      expect(setup.portal.listCredentialsKinds()).toEqual(["username-password", "username-hashed-password", "anonymous"]);
      const named = await setup.portal.login(new UsernamePassword("bob", "hello"), null, "test.Testable");
      const anon = await setup.portal.login(new Anonymous(), null, "test.Testable");
      await recordOf(setup, named, "bob");
      await recordOf(setup, anon, ANONYMOUS);
      expect(setup.realm.avatars.map((a) => a.name)).toEqual(["bob", ANONYMOUS]);
    });

    it("gives two concurrent logins two distinct avatars", async () => {
      const setup = await setUp();
      const [a, b] = await Promise.all([
        setup.portal.login(new UsernamePassword("bob", "hello"), null, "test.Testable"),
        setup.portal.login(new UsernamePassword("bob", "hello"), null, "test.Testable"),
      ]);
      expect(a.avatar).not.toBe(b.avatar);
      const recordA = await recordOf(setup, a, "bob");
      const recordB = await recordOf(setup, b, "bob");
      expect(setup.realm.avatars).toHaveLength(2);
      expect(recordA).not.toBe(recordB);
      // Logging one out leaves the other logged in.
      await a.logout();
      expect(recordA.loggedIn).toBe(false);
      expect(recordB.loggedIn).toBe(true);
    });

    // HashedPasswordOnDiskDatabaseTests.testGoodCredentials_login
    it("logs several users in at once, each to an avatar of their own id", async () => {
      const setup = await bare(new TestRealm());
      await setup.addChecker(new InMemoryUsernamePasswordDatabaseDontUse(Object.fromEntries(USERS)));
      const results = await Promise.all(
        USERS.map(([u, p]) => setup.portal.login(new UsernamePassword(u, p), null, "test.Testable")),
      );
      const records = await Promise.all(results.map((result, i) => recordOf(setup, result, USERS[i]![0])));
      expect(records.map((r) => r.name)).toEqual(USERS.map(([u]) => u));
      expect(new Set(records).size).toBe(USERS.length);
    });

    // HashedPasswordOnDiskDatabaseTests.testBadCredentials
    it("refuses every user's wrong password with UnauthorizedLogin, creating no avatar", async () => {
      const setup = await bare(new TestRealm());
      await setup.addChecker(new InMemoryUsernamePasswordDatabaseDontUse(Object.fromEntries(USERS)));
      const outcomes = await Promise.allSettled(
        USERS.map(([u]) => setup.portal.login(new UsernamePassword(u, "wrong password"), null, "test.Testable")),
      );
      for (const outcome of outcomes) {
        expect(outcome.status).toBe("rejected");
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(UnauthorizedLogin);
      }
      expect(setup.realm.avatars).toHaveLength(0);
    });

    // HashedPasswordOnDiskDatabaseTests.testHashedCredentials
    it("rejects with UnhandledCredentials the kind a checker was not registered for", async () => {
      const setup = await bare(new TestRealm());
      // The checker could check hashes, but the portal was only given it for plaintext passwords.
      await setup.addChecker(new InMemoryUsernamePasswordDatabaseDontUse(Object.fromEntries(USERS)), UsernamePassword.kind);
      expect(setup.portal.listCredentialsKinds()).toEqual([UsernamePassword.kind]);
      const outcomes = await Promise.allSettled(
        USERS.map(([u, p]) => setup.portal.login(new UsernameHashedPassword(u, p), null, "test.Testable")),
      );
      for (const outcome of outcomes) {
        expect(outcome.status).toBe("rejected");
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(UnhandledCredentials);
      }
      expect(setup.realm.avatars).toHaveLength(0);
    });

    // CheckersMixin.test_positive
    it("resolves good credentials to their avatar ids through the checker the portal uses", async () => {
      const setup = await bare(new TestRealm());
      const passwords = await setup.addChecker(new InMemoryUsernamePasswordDatabaseDontUse(Object.fromEntries(USERS)));
      const anonymous = await setup.addChecker(new AllowAnonymousAccess());
      for (const [u, p] of USERS) {
        for (const credentials of [new UsernamePassword(u, p), new UsernameHashedPassword(u, p)]) {
          expect(setup.portal.checkerFor(credentials)).toBe(passwords);
          expect(await passwords.requestAvatarId(credentials)).toBe(u);
        }
      }
      expect(setup.portal.checkerFor(new Anonymous())).toBe(anonymous);
      expect(await anonymous.requestAvatarId(new Anonymous())).toBe(ANONYMOUS);
    });

    // CheckersMixin.test_negative
    it("refuses bad credentials with UnauthorizedLogin through the checker the portal uses", async () => {
      const setup = await bare(new TestRealm());
      const passwords = await setup.addChecker(new InMemoryUsernamePasswordDatabaseDontUse(Object.fromEntries(USERS)));
      for (const [u, p] of BAD) {
        for (const credentials of [new UsernamePassword(u, p), new UsernameHashedPassword(u, p)]) {
          const error = await Promise.resolve()
            .then(() => passwords.requestAvatarId(credentials))
            .catch((e) => e);
          expect(error).toBeInstanceOf(UnauthorizedLogin);
          expect(error.message).toBe(UNAUTHORIZED_MESSAGE);
        }
      }
    });

    it("gives every refusal the one UnauthorizedLogin message, whatever text the checker refused with", async () => {
      const setup = await bare(new TestRealm());
      // A checker (here, or a service in another language) that says too much about why.
      const chatty: Checker = {
        credentialKinds: [UsernamePassword.kind],
        requestAvatarId: async (credentials) => {
          const username = credentials.toWire()["username"];
          throw new UnauthorizedLogin(username === "alice" ? "wrong password for alice" : "no such user");
        },
      };
      await setup.addChecker(chatty);
      const refusals = [];
      for (const username of ["alice", "mallory"]) {
        refusals.push(await setup.portal.login(new UsernamePassword(username, "x"), null, "test.Testable").catch((e) => e));
      }
      for (const error of refusals) {
        expect(error).toBeInstanceOf(UnauthorizedLogin);
        expect(error.message).toBe(UNAUTHORIZED_MESSAGE);
      }
    });

    it("rejects with NoSuchInterface when the realm supports none of the interfaces", async () => {
      const { portal, realm } = await setUp();
      const error = await portal.login(new UsernamePassword("bob", "hello"), null, "test.Other").catch((e) => e);
      expect(error).toBeInstanceOf(NoSuchInterface);
      expect(error.code).toBe("NoSuchInterface");
      expect(realm.avatars).toHaveLength(0);
    });

    it("picks the first interface the realm supports, in the client's order of preference", async () => {
      const setup = await bare(new TestRealm(["a", "b"]));
      await setup.addChecker(new AllowAnonymousAccess());
      const result = await setup.portal.login(new Anonymous(), null, "c", "b", "a");
      expect(result.interface).toBe("b");
      await recordOf(setup, result, ANONYMOUS);
    });

    it("uses the later of two checkers registered for the same kind", async () => {
      const setup = await setUp();
      await setup.addChecker(new InMemoryUsernamePasswordDatabaseDontUse({ carol: "pw" }), "username-password");
      expect(setup.portal.listCredentialsKinds()).toEqual(["username-password", "username-hashed-password"]);
      const result = await setup.portal.login(new UsernamePassword("carol", "pw"), null, "test.Testable");
      await recordOf(setup, result, "carol");
      // The earlier checker still serves the kind nobody re-registered.
      await setup.portal.login(new UsernameHashedPassword("bob", "hello"), null, "test.Testable");
    });

    it("does not fall back to another checker after a refusal", async () => {
      const { portal, realm, addChecker } = await setUp();
      await addChecker(new InMemoryUsernamePasswordDatabaseDontUse({ carol: "pw" }), "username-password");
      // bob is known to the first checker only: a refusal by the active one is final.
      await expect(portal.login(new UsernamePassword("bob", "hello"), null, "test.Testable")).rejects.toBeInstanceOf(
        UnauthorizedLogin,
      );
      expect(realm.avatars).toHaveLength(0);
    });

    // Library face: the Portal itself takes the realm's synchronous answer. Remote: the Portal's
    // RemoteRealm is always asynchronous, and it is serveRealm that takes the synchronous answer.
    it("accepts a realm that answers synchronously", async () => {
      const setup = await bare(new SyncTestRealm());
      await setup.addChecker(new AllowAnonymousAccess());
      const result = await setup.portal.login(new Anonymous(), null, "x");
      expect(result.interface).toBe("x");
      const record = await recordOf(setup, result, ANONYMOUS);
      await result.logout();
      expect(record.logouts).toBe(1);
    });

    it("runs the realm's logout exactly once however often logout is called", async () => {
      const setup = await setUp();
      const result = await setup.portal.login(new UsernamePassword("bob", "hello"), null, "test.Testable");
      const record = await recordOf(setup, result, "bob");
      await Promise.all([result.logout(), result.logout()]);
      await result.logout();
      expect(record.logouts).toBe(1);
    });

    it("reports a checker that throws an unexpected error as LoginFailed, not as a refusal", async () => {
      const broken: Checker = {
        credentialKinds: ["username-password"],
        requestAvatarId: () => {
          throw new Error("database on fire: password=hello");
        },
      };
      const setup = await bare(new TestRealm());
      await setup.addChecker(broken);
      const error = await setup.portal.login(new UsernamePassword("bob", "hello"), null, "test.Testable").catch((e) => e);
      expect(error).toBeInstanceOf(LoginFailed);
      expect(error).not.toBeInstanceOf(UnauthorizedLogin);
      expect(error.code).toBe("LoginFailed");
      expect(error.message).not.toContain("hello");
      expect(error.message).not.toContain("on fire");
      expect(setup.realm.avatars).toHaveLength(0);
    });

    it("passes the mind to the realm, and the avatar's notifications reach it", async () => {
      const setup = await setUp();
      const notifications: Array<[string, unknown]> = [];
      const mind: Mind = { notify: (event, data) => void notifications.push([event, data]) };
      const result = await setup.portal.login(new UsernamePassword("bob", "hello"), mind, "test.Testable");
      const record = await recordOf(setup, result, "bob");
      // Library face: the realm holds the mind itself. Remote: a mind bridged to it over the bus.
      if (setup.remote) expect(record.mind).toBeInstanceOf(RemoteMind);
      else expect(record.mind).toBe(mind);
      await announce(setup, result.avatar, "hi");
      await waitFor(() => notifications.length > 0);
      expect(notifications).toEqual([["announce", { text: "hi" }]]);
    });

    it("gives the realm no mind when the login has none", async () => {
      const setup = await setUp();
      const result = await setup.portal.login(new UsernamePassword("bob", "hello"), null, "test.Testable");
      const record = await recordOf(setup, result, "bob");
      // Twisted's mind=None, through a realm service too.
      expect(record.mind).toBeNull();
      await announce(setup, result.avatar, "nobody listens");
    });
  });
}
