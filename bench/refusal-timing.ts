/**
 * Shared by the refusal-timing scenarios: a wrong password (the floor) and an unknown user must
 * cost the same, so that timing cannot tell which users exist. Rate limiting is off in the child.
 */
import { PASSWORD, USERNAME } from "./kdf-params.ts";
import { profile, QUICK_BUDGET } from "./measure.ts";
import { GROUP } from "./scenario.ts";
import type { Scenario } from "./scenario.ts";
import { connectClient, refusedLogin } from "./wire-client.ts";

export type RefusalChecker = "argon2id" | "memory";
export type Refusal = "wrong-password" | "unknown-user";

export function refusalTiming(checker: RefusalChecker, refusal: Refusal): Scenario {
  return {
    name: `refusal-${checker}-${refusal}`,
    group: checker === "argon2id" ? GROUP.refusalArgon2id : GROUP.refusalMemory,
    floor: refusal === "wrong-password",
    async run(ctx) {
      await ctx.spawnTs("bench/children/checker-portal.ts", [ctx.natsUrl, checker, "2000"]);
      const nc = await connectClient(ctx.natsUrl);
      ctx.onCleanup(() => nc.close());
      // A fresh unknown name each time, so nothing could be cached per name.
      let n = 0;
      const op =
        refusal === "wrong-password"
          ? () => refusedLogin(nc, USERNAME, `not-${PASSWORD}`)
          : () => refusedLogin(nc, `nobody-${n++}`, PASSWORD);
      const measured = await profile(op, QUICK_BUDGET);
      const checkerName = checker === "argon2id" ? "HashedPasswordChecker (argon2id defaults)" : "InMemoryUsernamePasswordDatabaseDontUse";
      return [
        {
          label: refusal === "wrong-password" ? `${checker}: wrong password` : `${checker}: unknown user`,
          note:
            refusal === "wrong-password"
              ? `${checkerName} over NATS (portal+checker in one child, rate limiter off); every reply must be UnauthorizedLogin.`
              : "a fresh unknown username per login; vs floor is against the wrong password: about 1× is the target.",
          compareP99: refusal === "unknown-user",
          ...measured,
        },
      ];
    },
  };
}
