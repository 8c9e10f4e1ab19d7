/** Shared by the challenge scenarios: a plain password login (floor) or a challenge-response login, same portal. */
import { PASSWORD, USERNAME } from "./kdf-params.ts";
import { profile, QUICK_BUDGET } from "./measure.ts";
import { GROUP } from "./scenario.ts";
import type { Scenario } from "./scenario.ts";
import { challengeLogin, connectClient, passwordLogin, type ChallengeMechanism } from "./wire-client.ts";

export function challengeScenario(mechanism: ChallengeMechanism | "password"): Scenario {
  return {
    name: mechanism === "password" ? "challenge-floor-password" : `challenge-${mechanism}`,
    group: GROUP.challenge,
    floor: mechanism === "password",
    async run(ctx) {
      await ctx.spawnTs("bench/children/checker-portal.ts", [ctx.natsUrl, "challenge", "2000"]);
      const nc = await connectClient(ctx.natsUrl);
      ctx.onCleanup(() => nc.close());
      const op =
        mechanism === "password"
          ? () => passwordLogin(nc, USERNAME, PASSWORD)
          : () => challengeLogin(nc, mechanism, USERNAME, PASSWORD);
      const measured = await profile(op, QUICK_BUDGET);
      const notes: Record<typeof mechanism, string> = {
        password:
          "username-password on cred.login (one round trip) against InMemoryUsernamePasswordDatabaseDontUse {challenges: true}; " +
          "portal, checkers and echo realm in one child process, client in the bench process.",
        "cram-md5": "cred.challenge then cred.challenge.ID (two round trips, a challenge actor each), HMAC-MD5 by the client with node:crypto; same in-memory checker.",
        "pb-md5": "as cram-md5, with Twisted's pb.respond MD5(MD5(password) ‖ challenge); same in-memory checker.",
        "scram-sha-256":
          "two round trips plus the portal's challenge query to ScramChecker (4096 iterations, stored keys) in the same process; " +
          "the client caches SaltedPassword (RFC 5802 §5.1) and checks the server signature.",
      };
      return [
        {
          label: mechanism === "password" ? "username-password login (1 round trip)" : `${mechanism} login (2 round trips)`,
          note: notes[mechanism],
          ...measured,
        },
      ];
    },
  };
}
