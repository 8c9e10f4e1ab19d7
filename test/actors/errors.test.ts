/** The closed set of errors: LoginDenied, Twisted's realm refusal, travels as LoginFailed with its message. */
import { describe, expect, it } from "vitest";
import {
  connect,
  fromWireError,
  LoginDenied,
  LoginFailed,
  PortcullisError,
  serveRealm,
  servePortal,
  SimpleRealm,
  toWireError,
  UsernamePassword,
  InMemoryUsernamePasswordDatabaseDontUse,
  RemoteRealm,
  type Realm,
} from "../../actors/index.ts";
import { InProcessNetwork } from "../../transports/index.ts";

/** A realm that refuses every login as Twisted's LoginDenied describes (a quota fully used). */
const denying: Realm = {
  requestAvatar() {
    throw new LoginDenied("daily quota used");
  },
};

describe("LoginDenied", () => {
  it("is a LoginFailed with LoginFailed's wire code, and keeps Twisted's name", () => {
    const error = new LoginDenied("daily quota used");
    expect(error).toBeInstanceOf(LoginFailed);
    expect(error).toBeInstanceOf(PortcullisError);
    expect(error.name).toBe("LoginDenied");
    expect(error.code).toBe("LoginFailed");
    expect(new LoginDenied().message).toBe("login denied");
  });

  it("crosses the wire as LoginFailed with its message (the codes are a closed set)", () => {
    const wire = toWireError(new LoginDenied("daily quota used"));
    expect(wire).toEqual({ code: "LoginFailed", message: "daily quota used" });
    const back = fromWireError(wire);
    expect(back).toBeInstanceOf(LoginFailed);
    expect(back.message).toBe("daily quota used");
  });

  it("reaches a remote client as LoginFailed with the realm's message, from a local realm and from a realm service", async () => {
    const network = new InProcessNetwork();
    const checkers = [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" })];
    const realmService = await serveRealm(network.connect(), denying, { name: "denying", prefix: "remote" });
    const portals = [
      await servePortal(network.connect(), { realm: denying, checkers, discoverCheckers: false }),
      await servePortal(network.connect(), { realm: new RemoteRealm(network.connect(), "denying", { prefix: "remote" }), checkers, prefix: "remote", discoverCheckers: false }),
    ];
    try {
      for (const prefix of ["cred", "remote"]) {
        const error = await connect(network.connect(), { prefix })
          .login(new UsernamePassword("alice", "pw"), { interfaces: ["echo"] })
          .catch((e: unknown) => e);
        expect(error, prefix).toBeInstanceOf(LoginFailed);
        expect((error as LoginFailed).code).toBe("LoginFailed");
        expect((error as LoginFailed).message).toBe("daily quota used");
      }
    } finally {
      for (const portal of portals) await portal.close();
      await realmService.stop();
    }
    // The same portal with a realm that grants: the refusal was the realm's.
    const granting = await servePortal(network.connect(), { realm: new SimpleRealm(), checkers, prefix: "ok", discoverCheckers: false });
    const session = await connect(network.connect(), { prefix: "ok" }).login(new UsernamePassword("alice", "pw"), { interfaces: ["echo"] });
    await session.logout();
    await granting.close();
  });
});
