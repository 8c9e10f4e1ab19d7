/** Child process: Portcullis services for the login benchmarks, in one of four roles. */
import { BENCH_ACCOUNTS } from "../login-client.ts";
import {
  InMemoryUsernamePasswordDatabaseDontUse,
  openKvRateLimiter,
  RemoteRealm,
  serveChecker,
  servePortal,
  serveRealm,
  SimpleRealm,
} from "../../actors/index.ts";
import { connectNatsBus } from "../../transports/index.ts";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { createLogger } from "../../app/logger.ts";
import { linkToParent } from "./parent-link.ts";

// argv: natsUrl role, role one of: all-in-one | kv-mirror | kv-direct | portal | checker | realm
// kv-mirror: all-in-one as `portcullis serve` runs it: the shared JetStream KV rate limiter
// (checks read a watched local copy of the bucket) and a line logged per login; kv-direct: the
// same reading the bucket on every check (`mirror: false`), under the prefix `direct` so both
// can run side by side.
const [natsUrl, role] = process.argv.slice(2);
if (natsUrl === undefined || role === undefined) throw new Error("usage: portcullis-services.ts <natsUrl> <role>");

/** Sessions expire 2.5 × this after their login, so a long run holds a bounded number live. */
export const BENCH_HEARTBEAT_MS = 2000;

const bus = await connectNatsBus({ servers: natsUrl, name: `bench-${role}` });
/** `alice` and the players the login client takes in turn. */
const checker = () =>
  new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret", ...Object.fromEntries(Array.from({ length: BENCH_ACCOUNTS }, (_, i) => [`player${i}`, "secret"])) });
const stops: Array<() => Promise<void>> = [];

switch (role) {
  case "all-in-one": {
    const portal = await servePortal(bus, { realm: new SimpleRealm(), checkers: [checker()], heartbeatMs: BENCH_HEARTBEAT_MS, discoverCheckers: false });
    stops.push(() => portal.close());
    break;
  }
  case "kv-mirror":
  case "kv-direct": {
    const direct = role === "kv-direct";
    const rateLimiter = await openKvRateLimiter(bus, { bucket: `bench_rate_limit_${role.replace("-", "_")}`, storage: "memory", ...(direct && { mirror: false }) });
    // Logging as `serve` logs (app/logger.ts, one line per login), to a file, not the parent's pipe.
    const logFile = join(tmpdir(), `portcullis-bench-${role}-${process.pid}.log`);
    const portal = await servePortal(bus, {
      realm: new SimpleRealm(),
      checkers: [checker()],
      heartbeatMs: BENCH_HEARTBEAT_MS,
      discoverCheckers: false,
      rateLimiter,
      logger: createLogger({ destination: pino.destination({ dest: logFile, sync: true }) }),
      ...(direct && { prefix: "direct" }),
    });
    stops.push(() => portal.close(), async () => rmSync(logFile, { force: true }));
    break;
  }
  case "portal": {
    const portal = await servePortal(bus, { realm: new RemoteRealm(bus, "bench"), heartbeatMs: BENCH_HEARTBEAT_MS });
    stops.push(() => portal.close());
    break;
  }
  case "checker": {
    const service = await serveChecker(bus, checker(), { name: "bench" });
    stops.push(() => service.stop());
    break;
  }
  case "realm": {
    const service = await serveRealm(bus, new SimpleRealm(), { name: "bench" });
    stops.push(() => service.stop());
    break;
  }
  default:
    throw new Error(`unknown role ${role}`);
}
await bus.flush();

linkToParent({
  ready: { role },
  close: async () => {
    for (const stop of stops) await stop();
    await bus.drain();
  },
});
