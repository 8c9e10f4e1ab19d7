/** TotpChecker (RFC 6238 via otplib) and password + TOTP stacked in a CascadingChecker, on a fixed clock. */
import { inspect } from "node:util";
import { generate } from "otplib";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CascadingChecker } from "../../../actors/checkers/cascading.ts";
import { InMemoryUsernamePasswordDatabaseDontUse } from "../../../actors/checkers/in-memory.ts";
import { TotpChecker, USERNAME_PASSWORD_OTP, UsernamePasswordOtp } from "../../../actors/checkers/totp.ts";
import type { Credentials } from "../../../actors/credentials/credentials.ts";
import { credentialsFromWire } from "../../../actors/credentials/from-wire.ts";
import { UsernamePassword } from "../../../actors/credentials/username-password.ts";
import { LoginFailed, UnauthorizedLogin, UNAUTHORIZED_MESSAGE } from "../../../actors/errors.ts";
import { Portal } from "../../../actors/portal.ts";
import { SimpleRealm } from "../../../actors/realms/echo.ts";
import { servePortal } from "../../../actors/services/serve-portal.ts";
import { createInProcessBus } from "../../../transports/index.ts";
import { TestRealm } from "../../support/test-realm.ts";
import { json, parse } from "../../support/wire.ts";

// RFC 6238 appendix B: the SHA-1 seed "12345678901234567890", base32. Its 8-digit codes end in these 6 digits.
const RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const T = 1_111_111_109; // RFC 6238 test time: code 07081804
const clock = (seconds: number) => () => seconds * 1000;
const codeAt = (seconds: number, secret = RFC_SECRET) => generate({ secret, epoch: seconds });

const otp = (username: string, code: string, password = "pw") => new UsernamePasswordOtp(username, password, code);
const outcome = (promise: () => unknown) =>
  Promise.resolve()
    .then(promise)
    .catch((error: unknown) => error);

afterEach(() => {
  vi.useRealTimers();
});

describe("TotpChecker", () => {
  it("accepts the RFC 6238 test vectors at their times", async () => {
    expect(await new TotpChecker({ alice: RFC_SECRET }, { now: clock(59) }).requestAvatarId(otp("alice", "287082"))).toBe(
      "alice",
    );
    expect(await new TotpChecker({ alice: RFC_SECRET }, { now: clock(T) }).requestAvatarId(otp("alice", "081804"))).toBe(
      "alice",
    );
  });

  it("accepts the previous step's code and refuses one two steps old", async () => {
    const checker = new TotpChecker({ alice: RFC_SECRET }, { now: clock(T) });
    expect(await checker.requestAvatarId(otp("alice", await codeAt(T - 30)))).toBe("alice");
    const stale = new TotpChecker({ alice: RFC_SECRET }, { now: clock(T) });
    const old = await codeAt(T - 60);
    expect(await outcome(() => stale.requestAvatarId(otp("alice", old)))).toBeInstanceOf(UnauthorizedLogin);
  });

  it("refuses a wrong code, an unknown user and malformed codes with the same UnauthorizedLogin", async () => {
    const checker = new TotpChecker({ alice: RFC_SECRET }, { now: clock(T) });
    const good = await codeAt(T);
    const wrong = good === "123456" ? "654321" : "123456";
    for (const credentials of [
      otp("alice", wrong),
      otp("bob", good),
      otp("alice", "abc"),
      otp("alice", "08180"),
      otp("alice", "0818044"),
      otp("alice", ` ${good}`),
    ]) {
      const error = await outcome(() => checker.requestAvatarId(credentials));
      expect(error).toBeInstanceOf(UnauthorizedLogin);
      expect((error as Error).message).toBe(UNAUTHORIZED_MESSAGE);
    }
  });

  it("refuses a code used once already", async () => {
    const checker = new TotpChecker({ alice: RFC_SECRET }, { now: clock(T) });
    const code = await codeAt(T);
    expect(await checker.requestAvatarId(otp("alice", code))).toBe("alice");
    expect(await outcome(() => checker.requestAvatarId(otp("alice", code)))).toBeInstanceOf(UnauthorizedLogin);
  });

  it("accepts only one of two logins racing with the same code", async () => {
    const checker = new TotpChecker({ alice: RFC_SECRET }, { now: clock(T) });
    const code = await codeAt(T);
    const results = await Promise.allSettled([1, 2].map(() => checker.requestAvatarId(otp("alice", code))));
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
  });

  it("enrols users added later", async () => {
    const checker = new TotpChecker({}, { now: clock(T) });
    checker.addUser("alice", RFC_SECRET);
    expect(await checker.requestAvatarId(otp("alice", "081804"))).toBe("alice");
  });

  it("refuses credentials that carry no code", async () => {
    const checker = new TotpChecker({ alice: RFC_SECRET }, { now: clock(T) });
    expect(await outcome(() => checker.requestAvatarId(new UsernamePassword("alice", "pw")))).toBeInstanceOf(
      UnauthorizedLogin,
    );
  });

  it("is built from its wire form as a UsernamePasswordOtp, with its own kind first", () => {
    const credentials = credentialsFromWire({ kind: USERNAME_PASSWORD_OTP, username: "alice", password: "pw", otp: "081804" });
    expect(credentials).toBeInstanceOf(UsernamePasswordOtp);
    expect(credentials.kinds).toEqual([USERNAME_PASSWORD_OTP, "username-password"]);
  });

  it("checks the same kind arriving from the wire as opaque credentials", async () => {
    const checker = new TotpChecker({ alice: RFC_SECRET }, { now: clock(T) });
    const wire = { kind: USERNAME_PASSWORD_OTP, username: "alice", password: "pw", otp: await codeAt(T) };
    expect(await checker.requestAvatarId(credentialsFromWire(wire))).toBe("alice");
  });

  it("uses the system clock by default (fake timers)", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(T * 1000);
    const checker = new TotpChecker({ alice: RFC_SECRET });
    expect(await checker.requestAvatarId(otp("alice", "081804"))).toBe("alice");
  });

  it("looks secrets up through a function, and reports a failing lookup as LoginFailed", async () => {
    const ok = new TotpChecker(async (u) => (u === "alice" ? RFC_SECRET : undefined), { now: clock(T) });
    expect(await ok.requestAvatarId(otp("alice", "081804"))).toBe("alice");
    const broken = new TotpChecker(
      () => {
        throw new Error(`db down, secret ${RFC_SECRET}`);
      },
      { now: clock(T) },
    );
    expect(() => ok.addUser("bob", RFC_SECRET)).toThrow(TypeError);
    const error = await outcome(() => broken.requestAvatarId(otp("alice", "081804")));
    expect(error).toBeInstanceOf(LoginFailed);
    expect(error).not.toBeInstanceOf(UnauthorizedLogin);
    expect((error as Error).message).not.toContain(RFC_SECRET);
  });

  it("reports an unusable stored secret as LoginFailed, not as a refusal", async () => {
    const checker = new TotpChecker({ alice: "not base32!" }, { now: clock(T) });
    const error = await outcome(() => checker.requestAvatarId(otp("alice", "081804")));
    expect(error).toBeInstanceOf(LoginFailed);
    expect(error).not.toBeInstanceOf(UnauthorizedLogin);
  });

  it("never shows a secret, a password or a code in its JSON or inspect output", async () => {
    const checker = new TotpChecker({ alice: RFC_SECRET }, { now: clock(T) });
    const credentials = otp("alice", "081804", "hunter2");
    for (const shown of [
      JSON.stringify(checker),
      inspect(checker, { depth: 5, showHidden: true }),
      JSON.stringify(credentials),
      inspect(credentials, { depth: 5, showHidden: true }),
      JSON.stringify({ credentials }),
    ]) {
      expect(shown).not.toContain(RFC_SECRET);
      expect(shown).not.toContain("hunter2");
      expect(shown).not.toContain("081804");
    }
    expect(JSON.parse(JSON.stringify(credentials))).toMatchObject({ kind: USERNAME_PASSWORD_OTP, username: "alice" });
  });
});

describe("password + TOTP, both required, in a CascadingChecker", () => {
  function twoFactor(): CascadingChecker {
    const cascade = new CascadingChecker();
    cascade.registerChecker(new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw", bob: "pw2" }), "required");
    cascade.registerChecker(new TotpChecker({ alice: RFC_SECRET }, { now: clock(T) }), "required");
    return cascade;
  }

  it("accepts only when the password and the code are both right", async () => {
    expect(await twoFactor().requestAvatarId(otp("alice", "081804", "pw"))).toBe("alice");
  });

  it("gives the same refusal for a wrong password, a wrong code, both, an unknown user or no code", async () => {
    const cases: Credentials[] = [
      otp("alice", "081804", "wrong"),
      otp("alice", "123456", "pw"),
      otp("alice", "123456", "wrong"),
      otp("bob", "081804", "pw2"),
      otp("carol", "081804", "pw"),
      new UsernamePassword("alice", "pw"),
    ];
    const errors = [];
    for (const credentials of cases) errors.push(await outcome(() => twoFactor().requestAvatarId(credentials)));
    for (const error of errors) {
      expect(error).toBeInstanceOf(UnauthorizedLogin);
      expect((error as Error).message).toBe(UNAUTHORIZED_MESSAGE);
    }
  });

  it("logs in through a Portal with two factors, and refuses one factor alone", async () => {
    const realm = new TestRealm();
    const portal = new Portal(realm, [twoFactor()]);
    const result = await portal.login(otp("alice", "081804", "pw"), null, "test.Testable");
    expect(realm.avatars.map((a) => a.name)).toEqual(["alice"]);
    await result.logout();
    await expect(portal.login(new UsernamePassword("alice", "pw"), null, "test.Testable")).rejects.toBeInstanceOf(
      UnauthorizedLogin,
    );
  });
});

describe("password + TOTP over the wire (P.login on a bus)", () => {
  it("logs in with username-password-otp sent as JSON, and refuses a wrong code with UnauthorizedLogin", async () => {
    const bus = createInProcessBus();
    const cascade = new CascadingChecker();
    cascade.registerChecker(new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" }), "required");
    cascade.registerChecker(new TotpChecker({ alice: RFC_SECRET }, { now: clock(T) }), "required");
    const service = await servePortal(bus, { realm: new SimpleRealm(), checkers: [cascade], discoverCheckers: false, rateLimiter: null });
    const login = async (code: string) =>
      parse(
        await bus.request(
          "cred.login",
          json({ credentials: { kind: "username-password-otp", username: "alice", password: "pw", otp: code }, interfaces: ["echo"] }),
        ),
      );
    try {
      const wrong = await login("123456");
      expect(wrong.error).toMatchObject({ code: "UnauthorizedLogin", message: UNAUTHORIZED_MESSAGE });
      const ok = await login("081804");
      expect(ok).toMatchObject({ ok: true, avatarId: "alice", interface: "echo" });
      // The same code again is a replay.
      expect((await login("081804")).error).toMatchObject({ code: "UnauthorizedLogin" });
    } finally {
      await service.close();
      await bus.close();
    }
  });
});
