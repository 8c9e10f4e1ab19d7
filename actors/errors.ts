/** The closed set of Portcullis errors: one class per protocol error code, and the table between them and the wire. */
import { brandError, isBrandedInstance } from "./error-brand.ts";
import type { EndReason } from "../machines/login-saga.ts";

/** Every end reason, spelled out: this module imports nothing at run time (a copy of it must load alone: error-brand.test.ts). */
const END_REASONS: Record<EndReason, true> = { logout: true, timeout: true, revoked: true, "avatar-failed": true, shutdown: true };
function isEndReason(value: unknown): value is EndReason {
  return typeof value === "string" && Object.hasOwn(END_REASONS, value);
}

/** Every protocol error code (PROTOCOL.md), a closed set clients switch on. */
export const ErrorCode = {
  UnauthorizedLogin: "UnauthorizedLogin",
  UnhandledCredentials: "UnhandledCredentials",
  LoginFailed: "LoginFailed",
  NoSuchInterface: "NoSuchInterface",
  RateLimited: "RateLimited",
  BadRequest: "BadRequest",
  NoSuchMethod: "NoSuchMethod",
  AvatarError: "AvatarError",
  SessionEnded: "SessionEnded",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base of every error that crosses the wire; `message` is always safe to show a client. */
export abstract class PortcullisError extends Error {
  abstract readonly code: ErrorCode;

  /** Also true for the same class from another copy of the package (a plugin's or a realm module's own). */
  static override [Symbol.hasInstance]<T>(this: abstract new (...args: never[]) => T, value: unknown): value is T {
    return isBrandedInstance(this, value);
  }
}

/** Login could not complete (Twisted's `LoginFailed`); the base of the login refusals. */
export class LoginFailed extends PortcullisError {
  override readonly name: string = "LoginFailed";
  readonly code: ErrorCode = ErrorCode.LoginFailed;
  constructor(message = "login failed") {
    super(message);
  }
}

/**
 * The credentials were checked and refused. One message for every refusal, so a wrong
 * password and an unknown user cannot be told apart.
 */
export class UnauthorizedLogin extends LoginFailed {
  override readonly name = "UnauthorizedLogin";
  override readonly code = ErrorCode.UnauthorizedLogin;
  constructor(message = UNAUTHORIZED_MESSAGE) {
    super(message);
  }
}
/** The one refusal text: identical for unknown users, wrong passwords, bad signatures. */
export const UNAUTHORIZED_MESSAGE = "invalid credentials";

/**
 * The realm rejected this login for some reason (Twisted's `LoginDenied`): an avatar logging in
 * too frequently, a quota fully used, the server's load too high. A realm throws it with a
 * message for the client (so, as `AvatarError`'s, one safe to show). It travels as `LoginFailed`,
 * with its message: the wire's codes are a closed set, and clients already handle that one.
 */
export class LoginDenied extends LoginFailed {
  override readonly name = "LoginDenied";
  constructor(message = "login denied") {
    super(message);
  }
}

/** No registered checker handles this credentials kind. */
export class UnhandledCredentials extends LoginFailed {
  override readonly name = "UnhandledCredentials";
  override readonly code = ErrorCode.UnhandledCredentials;
  constructor(message = "no checker handles these credentials") {
    super(message);
  }
}

/**
 * A checker that could not be reached (no responders, withdrawn). Travels as `LoginFailed`:
 * a checker that is down is never reported as a wrong password.
 */
export class CheckerUnavailable extends LoginFailed {
  override readonly name = "CheckerUnavailable";
  constructor(message = "credential checker unavailable") {
    super(message);
  }
}

/** Too many attempts; retry after `retryAfterMs`. */
export class RateLimited extends LoginFailed {
  override readonly name = "RateLimited";
  override readonly code = ErrorCode.RateLimited;
  constructor(readonly retryAfterMs: number, message = "too many attempts") {
    super(message);
  }
}

/** The realm supports none of the requested interfaces. */
export class NoSuchInterface extends PortcullisError {
  override readonly name = "NoSuchInterface";
  readonly code = ErrorCode.NoSuchInterface;
  constructor(message = "none of the requested interfaces is supported") {
    super(message);
  }
}

/** A malformed request. */
export class BadRequest extends PortcullisError {
  override readonly name = "BadRequest";
  readonly code = ErrorCode.BadRequest;
}

/** The avatar's interface has no such method. */
export class NoSuchMethod extends PortcullisError {
  override readonly name = "NoSuchMethod";
  readonly code = ErrorCode.NoSuchMethod;
  constructor(message = "no such method") {
    super(message);
  }
}

/** An avatar method failed. Throw it from an avatar to send the client a chosen message. */
export class AvatarError extends PortcullisError {
  override readonly name = "AvatarError";
  readonly code = ErrorCode.AvatarError;
  constructor(message = "the avatar method failed") {
    super(message);
  }
}

/** The session is over (logout, timeout, revoked) or never existed. */
export class SessionEnded extends PortcullisError {
  override readonly name = "SessionEnded";
  readonly code = ErrorCode.SessionEnded;
  /** Why, when the portal still knows (a session that ended moments ago): the Mind's `ended` reason. */
  readonly reason: EndReason | undefined;
  constructor(message = "session ended", reason?: EndReason) {
    super(message);
    this.reason = reason;
  }
}

/** The wire shape of an error reply. */
export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly retryAfterMs?: number;
  /** `SessionEnded` only: why the session ended, when the portal still knows. */
  readonly reason?: string;
}

/** Turns any thrown value into a wire error; unknown errors become `fallback` with its own safe message. */
export function toWireError(error: unknown, fallback: () => PortcullisError = () => new LoginFailed()): WireError {
  const known = error instanceof PortcullisError ? error : fallback();
  const wire: { code: ErrorCode; message: string; retryAfterMs?: number; reason?: string } = {
    code: known.code,
    message: known.message,
  };
  if (known instanceof RateLimited) wire.retryAfterMs = known.retryAfterMs;
  if (known instanceof SessionEnded && known.reason !== undefined) wire.reason = known.reason;
  return wire;
}

const fromCode: Record<ErrorCode, (wire: WireError) => PortcullisError> = {
  UnauthorizedLogin: (w) => new UnauthorizedLogin(w.message),
  UnhandledCredentials: (w) => new UnhandledCredentials(w.message),
  LoginFailed: (w) => new LoginFailed(w.message),
  NoSuchInterface: (w) => new NoSuchInterface(w.message),
  RateLimited: (w) => new RateLimited(typeof w.retryAfterMs === "number" ? w.retryAfterMs : 1000, w.message),
  BadRequest: (w) => new BadRequest(w.message),
  NoSuchMethod: (w) => new NoSuchMethod(w.message),
  AvatarError: (w) => new AvatarError(w.message),
  SessionEnded: (w) => new SessionEnded(w.message, isEndReason(w.reason) ? w.reason : undefined),
};

/** Whether `wire` is an error PROTOCOL.md defines: an object whose `code` is one of the closed set. */
export function isWireError(wire: unknown): boolean {
  const code = typeof wire === "object" && wire !== null ? (wire as { code?: unknown }).code : undefined;
  return typeof code === "string" && Object.hasOwn(fromCode, code);
}

/** Rebuilds the same error class on the far side; an unknown code is a `LoginFailed`. */
export function fromWireError(wire: unknown): PortcullisError {
  if (typeof wire === "object" && wire !== null) {
    const { code, message } = wire as { code?: unknown; message?: unknown };
    const make = typeof code === "string" && Object.hasOwn(fromCode, code) ? fromCode[code as ErrorCode] : undefined;
    if (make) return make({ ...(wire as WireError), message: typeof message === "string" ? message : String(code) });
  }
  return new LoginFailed("malformed error reply");
}

for (const [cls, brand] of [
  [PortcullisError, "PortcullisError"],
  [LoginFailed, "LoginFailed"],
  [UnauthorizedLogin, "UnauthorizedLogin"],
  [LoginDenied, "LoginDenied"],
  [UnhandledCredentials, "UnhandledCredentials"],
  [CheckerUnavailable, "CheckerUnavailable"],
  [RateLimited, "RateLimited"],
  [NoSuchInterface, "NoSuchInterface"],
  [BadRequest, "BadRequest"],
  [NoSuchMethod, "NoSuchMethod"],
  [AvatarError, "AvatarError"],
  [SessionEnded, "SessionEnded"],
] as const) brandError(cls, brand);
