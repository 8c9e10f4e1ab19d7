/** Challenge-response logins with pb-md5, speaking the wire protocol with node:crypto. */
import { challengeScenario } from "./challenge-login.ts";

export const challengePbMd5 = challengeScenario("pb-md5");
