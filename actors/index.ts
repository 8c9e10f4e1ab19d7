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
  LoginDenied,
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
export { InstanceWatch, type HostState, type InstanceWatchOptions, type WatchedHost } from "./services/instance-watch.ts";
export { SessionReconciler, type SessionReconcilerOptions } from "./services/session-reconciler.ts";
export { serveChecker, type CheckerService, type ServeCheckerOptions } from "./services/serve-checker.ts";
export { DEFAULT_HEARTBEAT_MS, MAX_HEARTBEAT_MS, servePortal, type PortalService, type ServePortalOptions } from "./services/serve-portal.ts";
export { serveRealm, type RealmService, type ServeRealmOptions } from "./services/serve-realm.ts";
export { DEFAULT_PREFIX, mindSubjectRule, subjectsFor, type MindSubjectRule, type Subjects } from "./wire/subjects.ts";
export * from "./strcred/index.ts";
export { FilePasswordDB, MalformedPasswordFile, PasswordFile, type FileHash, type FilePasswordDBOptions, type PasswordFileLayout } from "./checkers/file-db.ts";
export { Decoys } from "./checkers/decoys.ts";
export { HashedPasswordChecker, hashFile, hashMap, type HashedPasswordCheckerOptions, type HashSource } from "./checkers/hashed.ts";
export { htpasswdChecker } from "./checkers/htpasswd.ts";
export * from "./hashing/index.ts";
export { fileCheckerFactory, INVALID_FILE_WARNING } from "./strcred/file.ts";
export { hashedCheckerFactory } from "./strcred/hashed.ts";
export { htpasswdCheckerFactory } from "./strcred/htpasswd.ts";
export { CascadingChecker, ControlFlag } from "./checkers/cascading.ts";
export { TotpChecker, UsernamePasswordOtp, USERNAME_PASSWORD_OTP, type TotpCheckerOptions, type TotpSecretLookup } from "./checkers/totp.ts";
export {
  DEFAULT_TOTP_STEPS_BUCKET,
  KvTotpSteps,
  MemoryTotpSteps,
  openKvTotpSteps,
  type KvTotpStepsOptions,
  type TotpStepStore,
} from "./checkers/totp-steps.ts";
export * from "./rate-limit/index.ts";
export { ChallengeResponse } from "./challenges/challenge-credentials.ts";
export { answersChallengeQueries, type ChallengeQueryChecker } from "./challenges/challenge-query.ts";
export type { ChallengeMechanism, ChallengeQuery, ChallengeStep, IssueContext, Issued } from "./challenges/mechanism.ts";
export { CramMD5Credentials, cramMD5Mechanism, cramMD5Response } from "./challenges/cram-md5.ts";
export { PBMD5Credentials, pbMD5Mechanism, pbMD5Response } from "./challenges/pb-md5.ts";
export { ScramCredentials, scramSHA256Mechanism } from "./challenges/scram-sha-256.ts";
export { deriveScramKeys, formatScramSecret, parseScramSecret, type ScramKeys } from "./challenges/scram-messages.ts";
export { SSHKeyCredentials, sshKeyMechanism } from "./challenges/ssh-key.ts";
export { parseSSHPublicKey, sshPublicKeyBlob, SSH_ALGORITHMS, type SSHAlgorithm, type SSHPublicKey } from "./challenges/ssh-wire.ts";
export { CHALLENGE_KINDS, defaultChallengeMechanisms } from "./challenges/registry.ts";
export { serveChallengeChecker } from "./challenges/serve-challenge-checker.ts";
export { ScramChecker, DEFAULT_SCRAM_ITERATIONS, type ScramCheckerOptions } from "./checkers/scram.ts";
export { ScramKeysFileChecker, type ScramKeysFileOptions } from "./checkers/scram-file.ts";
export { SSHPublicKeyDatabase, type AuthorizedKeysSource, type SSHPublicKeyDatabaseOptions } from "./checkers/ssh-keys.ts";
export { scramCheckerFactory } from "./strcred/scram.ts";
export { scramFileCheckerFactory } from "./strcred/scram-file.ts";
export { sshKeyCheckerFactory } from "./strcred/sshkey.ts";
export { type ChallengeOptions } from "./services/serve-challenges.ts";
export { scramClient, sshKeySigner, type ScramClient, type SSHKeySigner } from "./client/challenge-answers.ts";
export { loginWithChallenge, type ChallengeSecret } from "./client/challenge-login.ts";
export { AvatarCrashed } from "./supervision/avatar-crashed.ts";
export { isMachineAvatar, MachineAvatar, type AvatarCallEvent, type AvatarReplyEvent } from "./supervision/machine-avatar.ts";
export { DEFAULT_CALL_WAIT_MS, SupervisedAvatar, type SupervisedAvatarInput, type SupervisionOptions } from "./supervision/supervised-avatar.ts";
export { defaultMindLimits, type MindLimits } from "./services/remote-mind.ts";
export { NotificationStream } from "./client/notification-stream.ts";
export { TokenCredentials } from "./credentials/token.ts";
export { TokenAuthority, type TokenAuthorityOptions, type TokenClaims } from "./tokens/token-authority.ts";
export { KeyFileError, tokenAuthorityFromFile } from "./tokens/key-file.ts";
export { TokenChecker } from "./tokens/token-checker.ts";
export { RevocationList } from "./tokens/revocation-list.ts";
export { TokenSessions, type RevocableSession } from "./services/token-sessions.ts";
export { TOKEN_REVOCATIONS, followRevocations, type Revocation } from "./tokens/revocation-feed.ts";
export { LingeringRealm, type LingeringRealmOptions } from "./realms/lingering-realm.ts";
export { tokenCheckerFactory } from "./strcred/token.ts";
