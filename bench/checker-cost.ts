/**
 * Issue 3, shared by the checker-cost scenarios: logins through a hashing checker over NATS,
 * beside the raw verify of the same hash (the floor) measured in the same run.
 */
import { HashGate } from "../actors/index.ts";
import { KDF_PARAMS, PASSWORD, type Kdf } from "./kdf-params.ts";
import { profile, QUICK_BUDGET, SLOW_OP_BUDGET } from "./measure.ts";
import type { Budget, Measured } from "./measure.ts";
import { GROUP } from "./scenario.ts";
import type { Group, Scenario } from "./scenario.ts";
import { connectClient, passwordLogin, request } from "./wire-client.ts";
import { USERNAME } from "./kdf-params.ts";

const GROUP_OF: Readonly<Record<Kdf, Group>> = { argon2id: GROUP.argon2id, scrypt: GROUP.scrypt, bcrypt: GROUP.bcrypt };
/** argon2id (~11 ms) gets the quick budget; the slower KDFs the slow-op one, floor and login alike. */
const budgetFor = (checker: Kdf | "memory"): Budget => (checker === "scrypt" || checker === "bcrypt" ? SLOW_OP_BUDGET : QUICK_BUDGET);
const POOL = `libuv thread pool of ${process.env.UV_THREADPOOL_SIZE ?? 4}`;

/**
 * argon2id carries a target (runtime overhead under 10%) and single short windows on this VM
 * varied by ±20%: its floor and its login are measured alternately, three rounds each, over
 * longer windows, and both rows report the per-field median.
 */
const ALTERNATE_ROUNDS = 3;
const ARGON2_BUDGET: Budget = {
  latency: { warmupOps: 5, warmupSeconds: 0.3, samples: 80, maxSeconds: 1.5 },
  throughput: { warmupSeconds: 0.5, maxOps: 100_000, maxSeconds: 2.5 },
};
/** The login medians measured by the argon2id floor's alternation, handed to `checker-argon2id`. */
let alternatedLogin: Measured | undefined;
/** The same for the verify behind a raw NATS responder, handed to `kdf-argon2id-nats`. */
let alternatedTransport: Measured | undefined;
/** Subject of the raw NATS + argon2id responder (bench/children/kdf-responder.ts). */
const KDF_SUBJECT = "bench.kdf.verify";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function medianOf(runs: Measured[]): Measured {
  return {
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    samples: runs.reduce((n, r) => n + r.samples, 0),
    opsPerSec: { 1: median(runs.map((r) => r.opsPerSec[1])), 16: median(runs.map((r) => r.opsPerSec[16])), 128: median(runs.map((r) => r.opsPerSec[128])) },
  };
}

/** Floor: `verify(stored, password)` of the same hash in the bench process, nothing else. */
export function kdfFloor(kdf: Kdf): Scenario {
  return {
    name: `kdf-${kdf}`,
    group: GROUP_OF[kdf],
    floor: true,
    async run(ctx) {
      const { label, make } = KDF_PARAMS[kdf];
      // The library call alone: the floor does not queue behind a HashGate (the responder and login rows do).
      const hasher = make({ gate: new HashGate(Number.MAX_SAFE_INTEGER) });
      const stored = await hasher.hash(PASSWORD);
      const raw = async () => {
        if (!(await hasher.verify(stored, PASSWORD))) throw new Error(`${kdf} verify returned false`);
      };
      let measured: Measured;
      if (kdf === "argon2id") {
        await ctx.spawnTs("bench/children/checker-portal.ts", [ctx.natsUrl, kdf, "2000"]);
        await ctx.spawnTs("bench/children/kdf-responder.ts", [ctx.natsUrl, kdf, KDF_SUBJECT]);
        const nc = await connectClient(ctx.natsUrl);
        ctx.onCleanup(() => nc.close());
        const overNats = async () => {
          const reply = await request(nc, KDF_SUBJECT, { credentials: { kind: "username-password", username: USERNAME, password: PASSWORD } });
          if (reply.ok !== true) throw new Error("kdf responder refused the password");
        };
        const floors: Measured[] = [];
        const transports: Measured[] = [];
        const logins: Measured[] = [];
        for (let round = 0; round < ALTERNATE_ROUNDS; round++) {
          floors.push(await profile(raw, ARGON2_BUDGET));
          transports.push(await profile(overNats, ARGON2_BUDGET));
          logins.push(await profile(() => passwordLogin(nc, USERNAME, PASSWORD), ARGON2_BUDGET));
        }
        measured = medianOf(floors);
        alternatedTransport = medianOf(transports);
        alternatedLogin = medianOf(logins);
      } else {
        measured = await profile(raw, budgetFor(kdf));
      }
      return [
        {
          label: `raw ${kdf} verify`,
          note:
            `${label}: the library call alone (no HashGate), in the bench process (${POOL}), at the same in-flight levels as the logins` +
            (kdf === "argon2id" ? `; median of ${ALTERNATE_ROUNDS} rounds alternated with the argon2id login's.` : "."),
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
      let measured: Measured;
      if (checker === "argon2id" && alternatedLogin !== undefined) {
        // Measured by the floor, alternated with it (see kdfFloor).
        measured = alternatedLogin;
      } else {
        await ctx.spawnTs("bench/children/checker-portal.ts", [ctx.natsUrl, checker, "2000"]);
        const nc = await connectClient(ctx.natsUrl);
        ctx.onCleanup(() => nc.close());
        measured = await profile(() => passwordLogin(nc, USERNAME, PASSWORD), budgetFor(checker));
      }
      const what = checker === "memory" ? "InMemoryUsernamePasswordDatabaseDontUse (no KDF)" : `HashedPasswordChecker, ${KDF_PARAMS[checker].label}`;
      return [
        {
          label: checker === "memory" ? "Portcullis login, in-memory checker" : `Portcullis login, ${checker} checker`,
          note:
            `${what}: portal+checker+echo realm in one child process (its own ${POOL}; hashes through ${checker === "scrypt" || checker === "bcrypt" ? "a HashGate of the default size that waits up to 60 s rather than 5 s" : "the default HashGate"}), client in the bench process; ` +
            "each login also opens a session (expires after 5 s)." +
            (checker === "memory" ? " The runtime alone, for scale: how far above the KDF's own rate the runtime can go." : ""),
          ...measured,
        },
      ];
    },
  };
}

/**
 * argon2id's verify behind a raw nats.js responder (no Portcullis): how much of the gap between
 * the bare verify and a login is the transport itself on this machine. Measured alternately
 * with the floor and the login (see kdfFloor), so it needs the argon2id floor in the same run.
 */
export const kdfArgon2idOverNats: Scenario = {
  name: "kdf-argon2id-nats",
  group: GROUP.argon2id,
  async run() {
    if (alternatedTransport === undefined) throw new Error("kdf-argon2id-nats is measured by kdf-argon2id; run them together");
    return [
      {
        label: "argon2id verify behind a raw NATS responder",
        note:
          `${KDF_PARAMS.argon2id.label}: a nats.js callback subscription in a child process (its own ${POOL}; the default HashGate) that parses the ` +
          "login request, verifies and answers; client in the bench process. The transport without Portcullis: the login row's " +
          "distance from this row is the runtime's own overhead.",
        ...alternatedTransport,
      },
    ];
  },
};
