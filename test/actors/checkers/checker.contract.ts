/** The checker contract: one suite every checker passes, locally and as a service on a bus. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ECHO_INTERFACE,
  LoginFailed,
  Portal,
  SimplePerspective,
  SimpleRealm,
  UnauthorizedLogin,
  UNAUTHORIZED_MESSAGE,
  UnhandledCredentials,
  type AvatarId,
  type Checker,
  type Credentials,
} from "../../../actors/index.ts";

/** One checker under test and the credentials that exercise it. */
export interface CheckerCase {
  readonly name: string;
  /** Makes the checker; `dir` is a fresh temporary directory for its files. */
  make(dir: string): Promise<Checker> | Checker;
  /** The kinds it must announce. */
  readonly kinds: readonly string[];
  /** Credentials it accepts, each with the avatar id it must give. */
  readonly good: ReadonlyArray<readonly [Credentials, AvatarId]>;
  /** A known user with a wrong password; absent where there are no passwords (anonymous). */
  readonly wrongPassword?: Credentials;
  readonly unknownUser?: Credentials;
  /** Credentials of a kind it does not check. */
  readonly wrongKind: Credentials;
  /**
   * The checker looks at no credentials and relies on the Portal's dispatch by kind (Twisted's
   * AllowAnonymousAccess does): asked directly in-process, it grants any kind.
   */
  readonly reliesOnPortalForKinds?: boolean;
}

/** Where the checker runs: `place` returns what the Portal talks to (itself, or a remote proxy). */
export interface CheckerHost {
  place(checker: Checker): Promise<Checker>;
  teardown(): Promise<void>;
}

async function refusal(promise: Promise<unknown>): Promise<LoginFailed> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LoginFailed);
  return error as LoginFailed;
}

/** `local`: the checker is called in-process, with no service in front checking the kind. */
export function checkerContract(
  hostName: string,
  makeHost: () => Promise<CheckerHost>,
  cases: readonly CheckerCase[],
  { local }: { local: boolean },
): void {
  describe(`checkers (${hostName})`, () => {
    let host: CheckerHost;
    let dir: string;
    beforeAll(async () => {
      host = await makeHost();
      dir = mkdtempSync(join(tmpdir(), "portcullis-checkers-"));
    });
    afterAll(async () => {
      await host.teardown();
      rmSync(dir, { recursive: true, force: true });
    });

    describe.each(cases.map((c) => [c.name, c] as const))("%s", (_name, testCase) => {
      let checker: Checker;
      let portal: Portal;
      beforeAll(async () => {
        checker = await host.place(await testCase.make(mkdtempSync(join(dir, "case-"))));
        portal = new Portal(new SimpleRealm(), [checker]);
      });
      const check = (credentials: Credentials) => Promise.resolve().then(() => checker.requestAvatarId(credentials));

      it("announces the credentials kinds it checks", () => {
        expect(checker.credentialKinds).toEqual(expect.arrayContaining([...testCase.kinds]));
      });

      it("resolves good credentials to their avatar id", async () => {
        for (const [credentials, avatarId] of testCase.good) expect(await check(credentials)).toBe(avatarId);
      });

      it("logs in through a Portal with good credentials", async () => {
        for (const [credentials, avatarId] of testCase.good) {
          const login = await portal.login(credentials, null, ECHO_INTERFACE);
          expect(login.interface).toBe(ECHO_INTERFACE);
          expect((login.avatar as SimplePerspective).avatarId).toBe(avatarId);
          await login.logout();
        }
      });

      it.runIf(testCase.wrongPassword)("refuses a wrong password with UnauthorizedLogin", async () => {
        const error = await refusal(check(testCase.wrongPassword!));
        expect(error).toBeInstanceOf(UnauthorizedLogin);
        expect(error.message).toBe(UNAUTHORIZED_MESSAGE);
        await expect(portal.login(testCase.wrongPassword!, null, ECHO_INTERFACE)).rejects.toBeInstanceOf(UnauthorizedLogin);
      });

      it.runIf(testCase.unknownUser)("refuses an unknown user exactly as a wrong password", async () => {
        const unknown = await refusal(check(testCase.unknownUser!));
        const wrong = await refusal(check(testCase.wrongPassword!));
        expect(unknown).toBeInstanceOf(UnauthorizedLogin);
        expect([unknown.name, unknown.code, unknown.message]).toEqual([wrong.name, wrong.code, wrong.message]);
      });

      it("rejects a kind it does not check with UnhandledCredentials through a Portal", async () => {
        await expect(portal.login(testCase.wrongKind, null, ECHO_INTERFACE)).rejects.toBeInstanceOf(UnhandledCredentials);
      });

      it.skipIf(local && testCase.reliesOnPortalForKinds)("refuses a kind it does not check when asked directly, never granting it", async () => {
        const error = await refusal(check(testCase.wrongKind));
        expect(error.code).toMatch(/^(UnauthorizedLogin|UnhandledCredentials)$/);
      });
    });
  });
}
