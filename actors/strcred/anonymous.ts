/** The `anonymous` auth type, Twisted's cred_anonymous plugin. */
import { AllowAnonymousAccess } from "../checkers/allow-anonymous.ts";
import { Anonymous } from "../credentials/anonymous.ts";
import type { CheckerFactory } from "./factory.ts";

export const anonymousCheckerFactory: CheckerFactory = {
  authType: "anonymous",
  authHelp: "This allows anonymous authentication for servers that support it.",
  argStringFormat: "No argstring required.",
  credentialKinds: [Anonymous.kind],
  generateChecker() {
    return new AllowAnonymousAccess();
  },
};
