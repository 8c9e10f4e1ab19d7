/** The challenge mechanisms a portal offers by default, by name. */
import { cramMD5Mechanism } from "./cram-md5.ts";
import type { ChallengeMechanism } from "./mechanism.ts";
import { pbMD5Mechanism } from "./pb-md5.ts";
import { scramSHA256Mechanism } from "./scram-sha-256.ts";
import { sshKeyMechanism } from "./ssh-key.ts";

/** Every mechanism of PROTOCOL.md's challenge table. */
export const defaultChallengeMechanisms: readonly ChallengeMechanism[] = [cramMD5Mechanism, pbMD5Mechanism, scramSHA256Mechanism, sshKeyMechanism];

/**
 * Credentials kinds that only a challenge actor may send to a checker: PROTOCOL.md's challenge
 * mechanisms, whether or not this portal offers them.
 */
export const CHALLENGE_KINDS: ReadonlySet<string> = new Set(["cram-md5", "pb-md5", "scram-sha-256", "ssh-key"]);
