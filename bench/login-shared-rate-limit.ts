/**
 * Logins as `portcullis serve` runs them over NATS: with the shared JetStream KV rate limiter,
 * whose checks read a local copy of the bucket kept current by a watch (docs/security.md), and
 * a log line per login (app/logger.ts, to a file).
 */
import { loginClient } from "./login-client.ts";
import { percentile, sampleInterleaved } from "./measure.ts";
import { GROUP } from "./scenario.ts";
import type { Scenario } from "./scenario.ts";

export const loginSharedRateLimit: Scenario = {
  name: "login-shared-rate-limit",
  group: GROUP.roundTrip,
  async run(ctx) {
    await ctx.spawnTs("bench/children/portcullis-services.ts", [ctx.natsUrl, "kv-mirror"]);
    const { nc, login } = await loginClient(ctx.natsUrl);
    ctx.onCleanup(() => nc.close());
    const measured = await ctx.profile(login);
    // What the local copy saves: the same portal reading the bucket on every check, interleaved.
    await ctx.spawnTs("bench/children/portcullis-services.ts", [ctx.natsUrl, "kv-direct"]);
    const direct = await loginClient(ctx.natsUrl, "direct");
    ctx.onCleanup(() => direct.nc.close());
    const paired = await sampleInterleaved(direct.login, login, ctx.budget.latency);
    const directP50 = percentile(paired.floor, 50);
    const mirrorP50 = percentile(paired.op, 50);
    return [
      {
        label: "Portcullis login as `portcullis serve` runs it: the shared JetStream KV rate limiter, a log line per login",
        note:
          `as the one-process row, with openKvRateLimiter (every check reads the bucket's local copy, kept current by a KV watch) and serve's pino logger writing one line per login to a file. ` +
          `Interleaved with logins whose checks read the bucket each time (mirror: false; ${paired.op.length} pairs): p50 ${mirrorP50.toFixed(3)} ms vs ${directP50.toFixed(3)} ms.`,
        ...measured,
      },
    ];
  },
};
