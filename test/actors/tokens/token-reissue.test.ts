/** What a token login that asks for a token gets back, and that a failure after its session opened leaves no session behind. */
import { randomBytes } from "node:crypto";
import { expect, it } from "vitest";
import { servePortal, SimpleRealm, TokenAuthority, UnauthorizedLogin, type Checker, type Credentials } from "../../../actors/index.ts";
import { createInProcessBus } from "../../../transports/index.ts";
import { TestRealm } from "../../support/test-realm.ts";
import { json, parse } from "../../support/wire.ts";

/** A token checker for opaque (non-JWT) tokens, an SSO's say: it takes precedence over the portal's own. */
class OpaqueTokens implements Checker {
  readonly credentialKinds = ["token"];
  async requestAvatarId(credentials: Credentials): Promise<string> {
    if ((credentials.toWire() as { token?: string }).token === "opaque-123") return "alice";
    throw new UnauthorizedLogin();
  }
}

const authority = () => {
  const key = randomBytes(32);
  return new TokenAuthority({ algorithm: "HS256", signingKey: key, verifyingKey: key });
};

it("gives a login with an opaque token that another checker accepted a fresh session token, as a password login gets (a reviewer saw LoginFailed)", async () => {
  const bus = createInProcessBus();
  const tokens = authority();
  const portal = await servePortal(bus, { realm: new SimpleRealm(), rateLimiter: null, checkers: [new OpaqueTokens()], tokens });
  const reply = parse(await bus.request("cred.login", json({ credentials: { kind: "token", token: "opaque-123" }, interfaces: ["echo"], issueToken: true })));
  expect(reply).toMatchObject({ ok: true, avatarId: "alice", token: expect.any(String), tokenExpiresAt: expect.any(Number) });
  expect((await tokens.verify(reply["token"])).avatarId).toBe("alice");
  await portal.close();
  await bus.close();
});

it("ends the session of a login that fails after its session was opened (its token could not be issued), so nothing is left live", async () => {
  const bus = createInProcessBus();
  const tokens = authority();
  tokens.issue = () => Promise.reject(new Error("signing key unavailable"));
  const realm = new TestRealm(["echo"]);
  const portal = await servePortal(bus, { realm, rateLimiter: null, checkers: [new OpaqueTokens()], tokens });
  const reply = parse(await bus.request("cred.login", json({ credentials: { kind: "token", token: "opaque-123" }, interfaces: ["echo"], issueToken: true })));
  expect(reply["ok"]).toBe(false);
  // The session was opened: its avatar was made. It is logged out, once, and no session is left.
  expect(realm.avatars).toHaveLength(1);
  const until = Date.now() + 2000;
  while ((portal.sessions > 0 || realm.avatars[0]!.loggedIn) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(realm.avatars[0]!.logouts).toBe(1);
  expect(portal.sessions).toBe(0);
  await portal.close();
  await bus.close();
});
