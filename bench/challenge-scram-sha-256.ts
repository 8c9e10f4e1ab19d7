/** Challenge-response logins with scram-sha-256, speaking the wire protocol with node:crypto. */
import { challengeScenario } from "./challenge-login.ts";

export const challengeScramSha256 = challengeScenario("scram-sha-256");
