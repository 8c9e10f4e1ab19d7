/** Challenge-response logins with cram-md5, speaking the wire protocol with node:crypto. */
import { challengeScenario } from "./challenge-login.ts";

export const challengeCramMd5 = challengeScenario("cram-md5");
