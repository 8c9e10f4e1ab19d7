/**
 * Child process: a portal with one local checker (and the echo realm) in one process, as in
 * login-one-process, for the checker-cost, refusal-timing, challenge and session benchmarks.
 * The rate limiter is off: the refusal benchmark refuses thousands of logins for one account.
 */
import {
  HashedPasswordChecker,
  HashGate,
  hashMap,
  InMemoryUsernamePasswordDatabaseDontUse,
  ScramChecker,
  servePortal,
  SimpleRealm,
  threadPoolSize,
  type Checker,
} from "../../actors/index.ts";
import { connectNatsBus } from "../../transports/index.ts";
import { KDF_PARAMS, PASSWORD, USERNAME } from "../kdf-params.ts";
import { linkToParent } from "./parent-link.ts";

// argv: natsUrl checker heartbeatMs
// checker: argon2id | scrypt | bcrypt (HashedPasswordChecker, see KDF_PARAMS) | memory | challenge
const [natsUrl, kind, heartbeat] = process.argv.slice(2);
if (natsUrl === undefined || kind === undefined) throw new Error("usage: checker-portal.ts <natsUrl> <checker> [heartbeatMs]");
const heartbeatMs = Number(heartbeat ?? 2000);

async function checkersFor(name: string): Promise<Checker[]> {
  switch (name) {
    case "argon2id":
    case "scrypt":
    case "bcrypt": {
      // scrypt and bcrypt at 128 in flight queue longer than the default gate's 5 s on a slow
      // moment of the VM (bcrypt then shed logins as overloaded, failing the row): a throughput
      // row measures the hash, so their queue may wait. argon2id keeps the default gate.
      const hasher = KDF_PARAMS[name].make(name === "argon2id" ? undefined : { gate: new HashGate(Math.max(1, threadPoolSize() - 1), { maxWaitMs: 60_000 }) });
      // The configured hasher is the same algorithm and parameters, so unknown users are
      // verified against a dummy of the same cost, and nothing needs a rehash.
      return [new HashedPasswordChecker(hashMap({ [USERNAME]: await hasher.hash(PASSWORD) }), { hasher })];
    }
    case "memory":
      return [new InMemoryUsernamePasswordDatabaseDontUse({ [USERNAME]: PASSWORD }, { challenges: true })];
    case "challenge": {
      const scram = new ScramChecker();
      scram.addUser(USERNAME, PASSWORD);
      return [new InMemoryUsernamePasswordDatabaseDontUse({ [USERNAME]: PASSWORD }, { challenges: true }), scram];
    }
    default:
      throw new Error(`unknown checker ${name}`);
  }
}

const bus = await connectNatsBus({ servers: natsUrl, name: `bench-checker-portal-${kind}` });
const portal = await servePortal(bus, {
  realm: new SimpleRealm(),
  checkers: await checkersFor(kind),
  heartbeatMs,
  discoverCheckers: false,
  rateLimiter: null,
});
await bus.flush();

linkToParent({
  ready: { checker: kind, heartbeatMs },
  commands: {
    sessions: async () => ({ sessions: portal.sessions }),
  },
  close: async () => {
    await portal.close();
    await bus.drain();
  },
});
