/** InMemoryUsernamePasswordDatabaseDontUse: credentials checked by shape, as Twisted's checker duck-types them. */
import { describe, expect, it, vi } from "vitest";
import {
  CramMD5Credentials,
  cramMD5Response,
  ECHO_INTERFACE,
  InMemoryUsernamePasswordDatabaseDontUse,
  PBMD5Credentials,
  pbMD5Response,
  Portal,
  SimplePerspective,
  SimpleRealm,
  UnauthorizedLogin,
  UNAUTHORIZED_MESSAGE,
  type Credentials,
} from "../../../actors/index.ts";
import { derivedCredentials } from "./checker-cases.ts";

const PB_CHALLENGE = "00112233445566778899aabbccddeeff";

/** A user object with Twisted's DerivedCredentials shape whose checkPassword answers `answer`. */
function answering(username: string, answer: (stored: string) => unknown) {
  return {
    username,
    kinds: ["derived", "username-password"],
    checkPassword: vi.fn((stored: string) => answer(stored)),
    toWire: () => ({ kind: "username-password", username, password: "x" }),
    toJSON: () => ({ kind: "derived", username }),
  };
}

describe("InMemoryUsernamePasswordDatabaseDontUse", () => {
  // Twisted's CredTests.test_derivedInterface: DerivedCredentials is no UsernamePassword.
  it("logs in through a Portal with a user object of a derived kind that has a username and checkPassword", async () => {
    const checker = new InMemoryUsernamePasswordDatabaseDontUse({ bob: "hello" });
    const portal = new Portal(new SimpleRealm(), [checker]);
    const login = await portal.login(derivedCredentials("bob", "hello"), null, ECHO_INTERFACE);
    expect((login.avatar as SimplePerspective).avatarId).toBe("bob");
    await login.logout();
    await expect(portal.login(derivedCredentials("bob", "h3llo"), null, ECHO_INTERFACE)).rejects.toThrow(new UnauthorizedLogin());
  });

  it("still asks checkPassword for an unknown user, against a value no stored password equals, and refuses it as a wrong password", () => {
    const checker = new InMemoryUsernamePasswordDatabaseDontUse({ bob: "hello" });
    const unknown = answering("jay", () => true);
    expect(() => checker.requestAvatarId(unknown)).toThrow(UNAUTHORIZED_MESSAGE);
    expect(unknown.checkPassword).toHaveBeenCalledTimes(1);
    expect(unknown.checkPassword.mock.calls[0]![0]).not.toBe("hello");
    const wrong = answering("bob", () => false);
    expect(() => checker.requestAvatarId(wrong)).toThrow(UNAUTHORIZED_MESSAGE);
    expect(wrong.checkPassword).toHaveBeenCalledWith("hello");
  });

  it("takes only true as a match: a truthy non-boolean from checkPassword is a refusal", async () => {
    const checker = new InMemoryUsernamePasswordDatabaseDontUse({ bob: "hello" });
    for (const answer of ["yes", 1, {}]) {
      expect(() => checker.requestAvatarId(answering("bob", () => answer))).toThrow(UnauthorizedLogin);
    }
    await expect(Promise.resolve(checker.requestAvatarId(answering("bob", async () => "yes")))).rejects.toBeInstanceOf(UnauthorizedLogin);
  });

  it("waits for a checkPassword that answers with a promise (Twisted's maybeDeferred)", async () => {
    const checker = new InMemoryUsernamePasswordDatabaseDontUse({ bob: "hello" });
    expect(await checker.requestAvatarId(answering("bob", async (stored) => stored === "hello"))).toBe("bob");
  });

  it("refuses credentials with no username or no checkPassword", () => {
    const checker = new InMemoryUsernamePasswordDatabaseDontUse({ bob: "hello" });
    const shapeless = { kinds: ["username-password"], toWire: () => ({ kind: "username-password" }), toJSON: () => ({}) };
    expect(() => checker.requestAvatarId({ ...shapeless, checkPassword: () => true } as Credentials)).toThrow(UnauthorizedLogin);
    expect(() => checker.requestAvatarId({ ...shapeless, username: "bob" } as Credentials)).toThrow(UnauthorizedLogin);
  });

  // Twisted's CramMD5Credentials and PB's challenger are IUsernameHashedPassword.
  it("checks cram-md5 and pb-md5 answers as username-hashed-password through a Portal without the challenges option", async () => {
    const checker = new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" });
    expect(checker.credentialKinds).toEqual(["username-password", "username-hashed-password"]);
    const portal = new Portal(new SimpleRealm(), [checker]);
    for (const good of [
      new CramMD5Credentials("alice", "<1.2@h>", cramMD5Response("pw", "<1.2@h>")),
      new PBMD5Credentials("alice", PB_CHALLENGE, pbMD5Response("pw", PB_CHALLENGE)),
    ]) {
      const login = await portal.login(good, null, ECHO_INTERFACE);
      expect((login.avatar as SimplePerspective).avatarId).toBe("alice");
      await login.logout();
    }
    await expect(portal.login(new CramMD5Credentials("alice", "<1.2@h>", cramMD5Response("no", "<1.2@h>")), null, ECHO_INTERFACE)).rejects.toThrow(
      UnauthorizedLogin,
    );
  });

  it("lists cram-md5 and pb-md5 before username-hashed-password with the challenges option, so their answers stay with it", async () => {
    const challenges = new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" }, { challenges: true });
    expect(challenges.credentialKinds).toEqual(["username-password", "cram-md5", "pb-md5", "username-hashed-password"]);
    // A later checker for username-hashed-password (which does not know alice) takes client-side hashes, not cram-md5 answers.
    const later = new InMemoryUsernamePasswordDatabaseDontUse({ bob: "pw" });
    const portal = new Portal(new SimpleRealm(), [challenges, later]);
    const cram = new CramMD5Credentials("alice", "<1.2@h>", cramMD5Response("pw", "<1.2@h>"));
    expect(portal.checkerFor(cram)).toBe(challenges);
    const login = await portal.login(cram, null, ECHO_INTERFACE);
    await login.logout();
  });
});
