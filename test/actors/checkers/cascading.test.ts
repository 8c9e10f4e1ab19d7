/**
 * CascadingChecker: seed 004's tests (testInterfaces, testLoginFirstChecker, testLoginSecondChecker,
 * testLoginFail), then what a cascade adds here: checkers that are down, Linux-PAM control flags,
 * and its use as an ordinary checker in a Portal.
 */
import { describe, expect, it } from "vitest";
import { CascadingChecker, ControlFlag } from "../../../actors/checkers/cascading.ts";
import type { AvatarId, Checker } from "../../../actors/checkers/checker.ts";
import { InMemoryUsernamePasswordDatabaseDontUse } from "../../../actors/checkers/in-memory.ts";
import { Anonymous } from "../../../actors/credentials/anonymous.ts";
import type { Credentials } from "../../../actors/credentials/credentials.ts";
import { UsernamePassword } from "../../../actors/credentials/username-password.ts";
import {
  CheckerUnavailable,
  LoginFailed,
  RateLimited,
  UnauthorizedLogin,
  UNAUTHORIZED_MESSAGE,
} from "../../../actors/errors.ts";
import { Portal } from "../../../actors/portal.ts";
import { NoResponders, RequestTimeout } from "../../../transports/errors.ts";
import { TestRealm } from "../../support/test-realm.ts";

/** Seed 004's setUp: ch1 knows foo and boo, ch2 knows for. */
function seedCascade(): CascadingChecker {
  const ch1 = new InMemoryUsernamePasswordDatabaseDontUse({ foo: "bar", boo: "far" });
  const ch2 = new InMemoryUsernamePasswordDatabaseDontUse({ for: "bao" });
  const cascade = new CascadingChecker();
  cascade.registerChecker(ch1);
  cascade.registerChecker(ch2);
  return cascade;
}

/** A checker with a fixed answer that counts how often it was asked. */
class Fixed implements Checker {
  calls = 0;
  constructor(
    private readonly answer: AvatarId | Error,
    readonly credentialKinds: readonly string[] = [UsernamePassword.kind],
  ) {}
  async requestAvatarId(_credentials: Credentials): Promise<AvatarId> {
    this.calls++;
    if (this.answer instanceof Error) throw this.answer;
    return this.answer;
  }
}
const accepts = (id: AvatarId = "alice") => new Fixed(id);
const refuses = () => new Fixed(new UnauthorizedLogin());
const down = (error: Error = new CheckerUnavailable()) => new Fixed(error);

function stack(...entries: Array<[Checker, ControlFlag]>): CascadingChecker {
  const cascade = new CascadingChecker();
  for (const [checker, control] of entries) cascade.registerChecker(checker, control);
  return cascade;
}

const alice = new UsernamePassword("alice", "pw");
const outcome = (checker: Checker, credentials: Credentials = alice) =>
  Promise.resolve()
    .then(() => checker.requestAvatarId(credentials))
    .catch((error: unknown) => error);

describe("CascadingChecker (seed 004)", () => {
  it("has the union of its checkers' credentials kinds", () => {
    const kinds = seedCascade().credentialKinds;
    expect(kinds).toEqual(expect.arrayContaining(["username-password", "username-hashed-password"]));
    expect(kinds).toEqual(new InMemoryUsernamePasswordDatabaseDontUse().credentialKinds);
    const cascade = stack([new Fixed("a", ["x", "y"]), "sufficient"], [new Fixed("b", ["y", "z"]), "sufficient"]);
    expect(cascade.credentialKinds).toEqual(["x", "y", "z"]);
  });

  it("accepts a user known to the first checker", async () => {
    expect(await seedCascade().requestAvatarId(new UsernamePassword("foo", "bar"))).toBe("foo");
  });

  it("accepts a user known only to the second checker", async () => {
    expect(await seedCascade().requestAvatarId(new UsernamePassword("for", "bao"))).toBe("for");
  });

  it("refuses with UnauthorizedLogin when every checker refuses", async () => {
    const error = await outcome(seedCascade(), new UsernamePassword("steve", "pswd"));
    expect(error).toBeInstanceOf(UnauthorizedLogin);
    expect((error as Error).message).toBe(UNAUTHORIZED_MESSAGE);
  });

  it("refuses with UnauthorizedLogin when it has no checkers", async () => {
    expect(await outcome(new CascadingChecker())).toBeInstanceOf(UnauthorizedLogin);
  });

  it("stops at the first acceptance", async () => {
    const first = accepts();
    const second = accepts();
    const cascade = stack([first, "sufficient"], [second, "sufficient"]);
    expect(await cascade.requestAvatarId(alice)).toBe("alice");
    expect(second.calls).toBe(0);
  });

  it("does not ask a checker that cannot check the credentials' kind", async () => {
    const anonymousOnly = new Fixed("nobody", [Anonymous.kind]);
    const cascade = stack([anonymousOnly, "sufficient"], [accepts(), "sufficient"]);
    expect(await cascade.requestAvatarId(alice)).toBe("alice");
    expect(anonymousOnly.calls).toBe(0);
  });
});

describe("CascadingChecker with a checker that is down", () => {
  const downs: Array<[string, Error]> = [
    ["CheckerUnavailable", new CheckerUnavailable()],
    ["a LoginFailed from a timeout", new LoginFailed("checker x timed out")],
    ["NoResponders", new NoResponders("cred.checker.x")],
    ["RequestTimeout", new RequestTimeout("cred.checker.x", 10)],
    ["an unexpected error", new Error("database on fire: password=pw")],
  ];

  for (const [name, error] of downs) {
    it(`reports ${name} as LoginFailed, never as a refusal, when nobody accepts`, async () => {
      const failure = await outcome(stack([down(error), "sufficient"], [refuses(), "sufficient"]));
      expect(failure).toBeInstanceOf(LoginFailed);
      expect(failure).not.toBeInstanceOf(UnauthorizedLogin);
      // Never CheckerUnavailable: the Portal would withdraw the whole cascade.
      expect(failure).not.toBeInstanceOf(CheckerUnavailable);
      expect((failure as LoginFailed).code).toBe("LoginFailed");
      expect((failure as Error).message).not.toContain("pw");
    });
  }

  it("accepts when a later checker accepts after one that is down", async () => {
    expect(await stack([down(), "sufficient"], [accepts(), "sufficient"]).requestAvatarId(alice)).toBe("alice");
  });

  it("reports a required checker that is down as LoginFailed whatever the others say", async () => {
    for (const other of [accepts(), refuses()]) {
      const failure = await outcome(stack([down(), "required"], [other, "required"]));
      expect(failure).toBeInstanceOf(LoginFailed);
      expect(failure).not.toBeInstanceOf(UnauthorizedLogin);
    }
  });

  it("passes a checker's RateLimited through with its retryAfterMs", async () => {
    const failure = await outcome(stack([down(new RateLimited(1234)), "required"]));
    expect(failure).toBeInstanceOf(RateLimited);
    expect((failure as RateLimited).retryAfterMs).toBe(1234);
  });

  it("reports LoginFailed, not a refusal, when a sufficient checker that would have ended the stack is down before a required or requisite one refuses", async () => {
    // An outside probe: had the sufficient checker been up and accepted, the stack would have succeeded.
    for (const control of ["required", "requisite"] as const) {
      expect(await outcome(stack([down(), "sufficient"], [refuses(), control])), control).toBeInstanceOf(LoginFailed);
      expect(await outcome(stack([down(), "sufficient"], [refuses(), control])), control).not.toBeInstanceOf(UnauthorizedLogin);
    }
    // After a required refusal a sufficient acceptance changes nothing (PAM): its being down does not either.
    expect(await outcome(stack([refuses(), "required"], [down(), "sufficient"]))).toBeInstanceOf(UnauthorizedLogin);
    // A down optional checker could not have overruled a required refusal.
    expect(await outcome(stack([down(), "optional"], [refuses(), "required"]))).toBeInstanceOf(UnauthorizedLogin);
  });

  it("refuses when a required checker refused, even if an optional one is down", async () => {
    expect(await outcome(stack([refuses(), "required"], [down(), "optional"]))).toBeInstanceOf(UnauthorizedLogin);
  });
});

describe("CascadingChecker control flags (Linux-PAM)", () => {
  it("accepts a required stack only when every required checker accepts", async () => {
    expect(await stack([accepts(), "required"], [accepts(), "required"]).requestAvatarId(alice)).toBe("alice");
    for (const [a, b] of [
      [refuses(), accepts()],
      [accepts(), refuses()],
      [refuses(), refuses()],
    ]) {
      expect(await outcome(stack([a!, "required"], [b!, "required"]))).toBeInstanceOf(UnauthorizedLogin);
    }
  });

  it("runs the rest of the stack after a required refusal, so nobody learns which factor failed", async () => {
    const second = accepts();
    await outcome(stack([refuses(), "required"], [second, "required"]));
    expect(second.calls).toBe(1);
  });

  it("stops at a requisite refusal", async () => {
    const second = accepts();
    expect(await outcome(stack([refuses(), "requisite"], [second, "required"]))).toBeInstanceOf(UnauthorizedLogin);
    expect(second.calls).toBe(0);
  });

  it("ends with success at a sufficient acceptance, skipping later checkers", async () => {
    const later = refuses();
    expect(await stack([accepts(), "required"], [accepts(), "sufficient"], [later, "required"]).requestAvatarId(alice)).toBe(
      "alice",
    );
    expect(later.calls).toBe(0);
  });

  it("ignores a sufficient acceptance after a required refusal", async () => {
    const later = accepts();
    expect(await outcome(stack([refuses(), "required"], [accepts(), "sufficient"], [later, "optional"]))).toBeInstanceOf(
      UnauthorizedLogin,
    );
    expect(later.calls).toBe(1);
  });

  it("ignores a sufficient refusal when a later checker accepts", async () => {
    expect(await stack([refuses(), "sufficient"], [accepts(), "required"]).requestAvatarId(alice)).toBe("alice");
  });

  it("ignores an optional refusal once another checker accepted", async () => {
    expect(await stack([accepts(), "required"], [refuses(), "optional"]).requestAvatarId(alice)).toBe("alice");
  });

  it("counts an optional checker when it is the only one", async () => {
    expect(await stack([accepts(), "optional"]).requestAvatarId(alice)).toBe("alice");
    expect(await outcome(stack([refuses(), "optional"]))).toBeInstanceOf(UnauthorizedLogin);
  });

  it("refuses when two factors vouch for different users", async () => {
    expect(await outcome(stack([accepts("alice"), "required"], [accepts("mallory"), "required"]))).toBeInstanceOf(
      UnauthorizedLogin,
    );
  });

  it("rejects an unknown control flag", () => {
    expect(() => new CascadingChecker().registerChecker(accepts(), "maybe" as ControlFlag)).toThrow(TypeError);
  });
});

describe("CascadingChecker in a Portal", () => {
  it("logs in through whichever checker knows the user, and refuses the rest", async () => {
    const realm = new TestRealm();
    const portal = new Portal(realm, [seedCascade()]);
    const result = await portal.login(new UsernamePassword("for", "bao"), null, "test.Testable");
    expect(realm.avatars.map((a) => a.name)).toEqual(["for"]);
    await result.logout();
    await expect(portal.login(new UsernamePassword("steve", "pswd"), null, "test.Testable")).rejects.toBeInstanceOf(
      UnauthorizedLogin,
    );
  });

  it("stays registered when one of its checkers is down", async () => {
    const cascade = stack([down(), "sufficient"]);
    const portal = new Portal(new TestRealm(), [cascade]);
    await expect(portal.login(alice, null, "test.Testable")).rejects.toBeInstanceOf(LoginFailed);
    expect(portal.checkerFor(alice)).toBe(cascade);
  });
});
