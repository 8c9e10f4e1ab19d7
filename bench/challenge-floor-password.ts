/** Floor for challenge logins: a plain username-password login on the same portal and in-memory checker. */
import { challengeScenario } from "./challenge-login.ts";

export const challengeFloorPassword = challengeScenario("password");
