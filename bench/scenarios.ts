/** Every scenario the bench runs, in table order: the one place to add a new one. Floors come before their rows. */
import { avatarCall } from "./avatar-call.ts";
import { challengeCramMd5 } from "./challenge-cram-md5.ts";
import { challengeFloorPassword } from "./challenge-floor-password.ts";
import { challengePbMd5 } from "./challenge-pb-md5.ts";
import { challengeScramSha256 } from "./challenge-scram-sha-256.ts";
import { checkerArgon2id } from "./checker-argon2id.ts";
import { kdfArgon2idOverNats } from "./checker-cost.ts";
import { checkerBcrypt } from "./checker-bcrypt.ts";
import { checkerMemory } from "./checker-memory.ts";
import { checkerScrypt } from "./checker-scrypt.ts";
import { kdfArgon2id } from "./kdf-argon2id.ts";
import { kdfBcrypt } from "./kdf-bcrypt.ts";
import { kdfScrypt } from "./kdf-scrypt.ts";
import { mindNotify } from "./mind-notify.ts";
import { loginOneProcess } from "./login-one-process.ts";
import { loginSharedRateLimit } from "./login-shared-rate-limit.ts";
import { loginSplit } from "./login-split.ts";
import { loginTwoPortals } from "./login-two-portals.ts";
import { rawNatsChain } from "./raw-nats-chain.ts";
import { rawNats } from "./raw-nats.ts";
import { rawNatsSessionSub } from "./raw-nats-session-sub.ts";
import { rawNotify } from "./raw-notify.ts";
import { refusalArgon2idUnknownUser } from "./refusal-argon2id-unknown-user.ts";
import { refusalArgon2idWrongPassword } from "./refusal-argon2id-wrong-password.ts";
import { refusalMemoryUnknownUser } from "./refusal-memory-unknown-user.ts";
import { refusalMemoryWrongPassword } from "./refusal-memory-wrong-password.ts";
import type { Scenario } from "./scenario.ts";
import { sessionsAtScale } from "./sessions-at-scale.ts";
import { twistedPb } from "./twisted-pb.ts";

export const SCENARIOS: readonly Scenario[] = [
  rawNats,
  rawNatsSessionSub,
  loginOneProcess,
  loginTwoPortals,
  loginSharedRateLimit,
  avatarCall,
  rawNatsChain,
  loginSplit,
  twistedPb,
  kdfArgon2id,
  kdfArgon2idOverNats,
  checkerArgon2id,
  checkerMemory,
  kdfScrypt,
  checkerScrypt,
  kdfBcrypt,
  checkerBcrypt,
  refusalArgon2idWrongPassword,
  refusalArgon2idUnknownUser,
  refusalMemoryWrongPassword,
  refusalMemoryUnknownUser,
  rawNotify,
  mindNotify,
  sessionsAtScale,
  challengeFloorPassword,
  challengeCramMd5,
  challengePbMd5,
  challengeScramSha256,
];
