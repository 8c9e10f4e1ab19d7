/**
 * Issue 3, shared by the checker-cost scenarios: logins through a hashing checker over NATS,
 * beside the raw verify of the same hash (the floor) measured in the same run.
 */
import { KDF_PARAMS, PASSWORD, type Kdf } from "./kdf-params.ts";
import { profile, QUICK_BUDGET, SLOW_OP_BUDGET } from "./measure.ts";
import type { Budget } from "./measure.ts";
import { GROUP } from "./scenario.ts";
import type { Group, Scenario } from "./scenario.ts";
import { connectClient, passwordLogin } from "./wire-client.ts";
import { USERNAME } from "./kdf-params.ts";

const GROUP_OF: Readonly<Record<Kdf, Group>> = { argon2id: GROUP.argon2id, scrypt: GROUP.scrypt, bcrypt: GROUP.bcrypt };
/** argon2id (~11 ms) gets the quick budget; the slower KDFs the slow-op one, floor and login alike. */
const budgetFor = (checker: Kdf | "memory"): Budget => (checker === "scrypt" || checker === "bcrypt" ? SLOW_OP_BUDGET : QUICK_BUDGET);
const POOL = `libuv thread pool of ${process.env.UV_THREADPOOL_SIZE ?? 4}`;

/** Floor: `verify(stored, password)` of the same hash in the bench process, nothing else. */
export function kdfFloor(kdf: Kdf): Scenario {
  return {
    name: `kdf-${kdf}`,
    group: GROUP_OF[kdf],
    floor: true,
    async run() {
      const { label, make } = KDF_PARAMS[kdf];
      const hasher = make();
      const stored = await hasher.hash(PASSWORD);
      const measured = await profile(async () => {
        if (!(await hasher.verify(stored, PASSWORD))) throw new Error(`${kdf} verify returned false`);
      }, budgetFor(kdf));
      return [
        {
          label: `raw ${kdf} verify`,
          note: `${label}: the library call alone, in the bench process (${POOL}), at the same in-flight levels as the logins.`,
          ...measured,
        },
      ];
    },
  };
}

/**
 * Username-password logins over NATS, portal + checker + echo realm in one child process (as
 * login-one-process), the client in the bench process. `memory` is the in-memory checker (no KDF).
 */
export function checkerLogin(checker: Kdf | "memory", group: Group = GROUP_OF[checker as Kdf]): Scenario {
  return {
    name: `checker-${checker}`,
    group,
    async run(ctx) {
      await ctx.spawnTs("bench/children/checker-portal.ts", [ctx.natsUrl, checker, "2000"]);
      const nc = await connectClient(ctx.natsUrl);
      ctx.onCleanup(() => nc.close());
      const measured = await profile(() => passwordLogin(nc, USERNAME, PASSWORD), budgetFor(checker));
      const what = checker === "memory" ? "InMemoryUsernamePasswordDatabaseDontUse (no KDF)" : `HashedPasswordChecker, ${KDF_PARAMS[checker].label}`;
      return [
        {
          label: checker === "memory" ? "Portcullis login, in-memory checker" : `Portcullis login, ${checker} checker`,
          note:
            `${what}: portal+checker+echo realm in one child process (its own ${POOL}), client in the bench process; ` +
            "each login also opens a session (expires after 5 s)." +
            (checker === "memory" ? " The runtime alone, for scale: how far above the KDF's own rate the runtime can go." : ""),
          ...measured,
        },
      ];
    },
  };
}
