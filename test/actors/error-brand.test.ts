/**
 * Errors from another copy of the package: a realm module or a `--plugin` checker that depends
 * on `portcullis` itself throws its own copy's classes. An outside probe saw such a realm's
 * NoSuchInterface and such a checker's UnauthorizedLogin reach clients as LoginFailed, and the
 * wrong PINs go uncounted by the rate limiter.
 */
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AvatarCrashed,
  AvatarError,
  InvalidAuthArgumentString,
  LoginDenied,
  LoginFailed,
  NoSuchInterface,
  Portal,
  PortcullisError,
  RateLimited,
  StrcredException,
  toWireError,
  UnauthorizedLogin,
  UsernamePassword,
  type Checker,
  type Realm,
} from "../../actors/index.ts";
import { MemoryRateLimiter } from "../../actors/rate-limit/index.ts";

type ErrorsModule = typeof import("../../actors/errors.ts");
type StrcredErrorsModule = typeof import("../../actors/strcred/errors.ts");
type CrashedModule = typeof import("../../actors/supervision/avatar-crashed.ts");

const FILES = ["errors.ts", "error-brand.ts", "strcred/errors.ts", "supervision/avatar-crashed.ts"];
let copy: string;
let foreign: ErrorsModule;
let foreignStrcred: StrcredErrorsModule;
let foreignCrashed: CrashedModule;

beforeAll(async () => {
  // A second copy of the files, as a plugin's own node_modules/portcullis would hold: same code, other module.
  copy = await mkdtemp(join(tmpdir(), "portcullis-copy-"));
  for (const file of FILES) {
    await mkdir(dirname(join(copy, file)), { recursive: true });
    await copyFile(resolve(import.meta.dirname, "../../actors", file), join(copy, file));
  }
  foreign = (await import(join(copy, "errors.ts"))) as ErrorsModule;
  foreignStrcred = (await import(join(copy, "strcred/errors.ts"))) as StrcredErrorsModule;
  foreignCrashed = (await import(join(copy, "supervision/avatar-crashed.ts"))) as CrashedModule;
});
afterAll(() => rm(copy, { recursive: true, force: true }));

describe("errors from another copy of the package", () => {
  it("are really another copy: their classes are not ours", () => {
    expect(foreign.UnauthorizedLogin).not.toBe(UnauthorizedLogin);
    expect(Object.getPrototypeOf(new foreign.UnauthorizedLogin())).not.toBe(UnauthorizedLogin.prototype);
  });

  it("are instances of the same class and of its bases here, and of no other", () => {
    const refused = new foreign.UnauthorizedLogin();
    expect(refused instanceof UnauthorizedLogin).toBe(true);
    expect(refused instanceof LoginFailed).toBe(true);
    expect(refused instanceof PortcullisError).toBe(true);
    expect(refused instanceof NoSuchInterface).toBe(false);
    expect(refused instanceof RateLimited).toBe(false);
    const denied = new foreign.LoginDenied("quota");
    expect(denied instanceof LoginDenied).toBe(true);
    expect(denied instanceof LoginFailed).toBe(true);
    expect(denied instanceof UnauthorizedLogin).toBe(false);
    expect(new foreign.NoSuchInterface() instanceof LoginFailed).toBe(false);
    expect(new foreignCrashed.AvatarCrashed() instanceof AvatarCrashed).toBe(true);
    expect(new foreignCrashed.AvatarCrashed() instanceof PortcullisError).toBe(false);
    expect(new foreignStrcred.InvalidAuthArgumentString("bad") instanceof InvalidAuthArgumentString).toBe(true);
    expect(new foreignStrcred.InvalidAuthArgumentString("bad") instanceof StrcredException).toBe(true);
    // And ours are theirs: a plugin catching the runtime's errors with its own classes.
    expect(new RateLimited(5) instanceof foreign.RateLimited).toBe(true);
    expect(new RateLimited(5) instanceof foreign.UnauthorizedLogin).toBe(false);
  });

  it("are not matched by name alone, nor through a user's own subclass", () => {
    const lookalike = Object.assign(new Error("invalid credentials"), { name: "UnauthorizedLogin", code: "UnauthorizedLogin" });
    expect(lookalike instanceof UnauthorizedLogin).toBe(false);
    expect(lookalike instanceof PortcullisError).toBe(false);
    class GameOver extends AvatarError {}
    expect(new foreign.AvatarError("x") instanceof GameOver).toBe(false);
    expect(new GameOver("x") instanceof AvatarError).toBe(true);
    expect(new GameOver("x") instanceof foreign.AvatarError).toBe(true);
  });

  it("cross the wire with their own code and fields", () => {
    expect(toWireError(new foreign.RateLimited(1234))).toEqual({ code: "RateLimited", message: "too many attempts", retryAfterMs: 1234 });
    expect(toWireError(new foreign.NoSuchInterface())).toMatchObject({ code: "NoSuchInterface" });
    expect(toWireError(new foreign.AvatarError("you lost"))).toEqual({ code: "AvatarError", message: "you lost" });
  });

  it("refuse a login as UnauthorizedLogin, counted by the rate limiter, and a realm's NoSuchInterface stays NoSuchInterface", async () => {
    const checker: Checker = {
      credentialKinds: ["username-password"],
      requestAvatarId: () => {
        throw new foreign.UnauthorizedLogin("wrong PIN");
      },
    };
    const rateLimiter = new MemoryRateLimiter();
    const realm: Realm = {
      requestAvatar: () => {
        throw new foreign.NoSuchInterface();
      },
    };
    const portal = new Portal(realm, [checker], { rateLimiter });
    const attempt = () => portal.login(new UsernamePassword("alice", "pin"), null, "game").then(() => undefined, (error: unknown) => error);
    const first = await attempt();
    expect(first).toBeInstanceOf(UnauthorizedLogin);
    // The one refusal text, whatever the checker said.
    expect((first as Error).message).toBe("invalid credentials");
    // The default policy: ten refusals, then backoff.
    for (let i = 0; i < 9; i++) expect(await attempt()).toBeInstanceOf(UnauthorizedLogin);
    expect(await attempt()).toBeInstanceOf(RateLimited);
    const granting = new Portal(realm, [{ credentialKinds: ["username-password"], requestAvatarId: () => "alice" }]);
    await expect(granting.login(new UsernamePassword("alice", "pin"), null, "game")).rejects.toBeInstanceOf(NoSuchInterface);
  });
});
