/** The actors' public API: Cred's objects (library face) and their services on a bus (runtime face). */
export { ANONYMOUS, type AvatarId, type Checker } from "./checkers/checker.ts";
export { AllowAnonymousAccess } from "./checkers/allow-anonymous.ts";
export { InMemoryUsernamePasswordDatabaseDontUse } from "./checkers/in-memory.ts";
export type { Credentials, WireCredentials } from "./credentials/credentials.ts";
export { Anonymous } from "./credentials/anonymous.ts";
export { UsernamePassword } from "./credentials/username-password.ts";
export { UsernameHashedPassword } from "./credentials/username-hashed-password.ts";
export { OpaqueCredentials } from "./credentials/opaque.ts";
export { credentialsFromWire } from "./credentials/from-wire.ts";
export {
  AvatarError,
  BadRequest,
  CheckerUnavailable,
  ErrorCode,
  fromWireError,
  LoginFailed,
  NoSuchInterface,
  NoSuchMethod,
  PortcullisError,
  RateLimited,
  SessionEnded,
  toWireError,
  UnauthorizedLogin,
  UNAUTHORIZED_MESSAGE,
  UnhandledCredentials,
  type WireError,
} from "./errors.ts";
export { silentLogger, type Logger } from "./logger.ts";
export { LoginSession, type SessionEnd } from "./login-session.ts";
export { Portal, type PortalOptions } from "./portal.ts";
export type { LoginResult, Mind, Realm } from "./realm.ts";
export { ECHO_INTERFACE, SimplePerspective, SimpleRealm } from "./realms/echo.ts";
export { connect, PortalClient, type ClientOptions, type LoginOptions } from "./client/portal-client.ts";
export { RemoteSession, type Notification } from "./client/remote-session.ts";
export { RemoteAvatar } from "./services/remote-avatar.ts";
export { RemoteChecker, type RemoteCheckerOptions } from "./services/remote-checker.ts";
export { RemoteMind } from "./services/remote-mind.ts";
export { RemoteRealm, type RemoteRealmOptions } from "./services/remote-realm.ts";
export { serveChecker, type CheckerService, type ServeCheckerOptions } from "./services/serve-checker.ts";
export { DEFAULT_HEARTBEAT_MS, servePortal, type PortalService, type ServePortalOptions } from "./services/serve-portal.ts";
export { serveRealm, type RealmService, type ServeRealmOptions } from "./services/serve-realm.ts";
export { DEFAULT_PREFIX, subjectsFor, type Subjects } from "./wire/subjects.ts";
export * from "./strcred/index.ts";
