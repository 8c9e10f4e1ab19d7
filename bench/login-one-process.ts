/** Portcullis logins with portal, checker and realm in one process, the client in another: floor is one round trip. */
import { connect } from "@nats-io/transport-node";
import { BENCH_ACCOUNTS, loginClient } from "./login-client.ts";
import { percentile, sampleInterleaved } from "./measure.ts";
import { FLOOR_PAYLOAD_BYTES } from "./raw-nats.ts";
import { GROUP } from "./scenario.ts";
import type { Scenario } from "./scenario.ts";

const FLOOR_SUBJECT = "bench.raw.paired";

export const loginOneProcess: Scenario = {
  name: "login-one-process",
  group: GROUP.roundTrip,
  async run(ctx) {
    await ctx.spawnTs("bench/children/portcullis-services.ts", [ctx.natsUrl, "all-in-one"]);
    const { nc, login } = await loginClient(ctx.natsUrl);
    ctx.onCleanup(() => nc.close());
    const measured = await ctx.profile(login);
    // The same p50 comparison once more, with the floor's round trips interleaved with the logins.
    await ctx.spawnTs("bench/children/echo-responder.ts", [ctx.natsUrl, FLOOR_SUBJECT]);
    const raw = await connect({ servers: ctx.natsUrl, noAsyncTraces: true });
    ctx.onCleanup(() => raw.close());
    const payload = new Uint8Array(FLOOR_PAYLOAD_BYTES);
    const paired = await sampleInterleaved(() => raw.request(FLOOR_SUBJECT, payload, { timeout: 5000 }), login, ctx.budget.latency);
    const floorP50 = percentile(paired.floor, 50);
    const loginP50 = percentile(paired.op, 50);
    return [
      {
        label: "Portcullis login, portal+checker+realm in one process",
        note:
          `username-password against the in-memory checker (${BENCH_ACCOUNTS} accounts logged in in turn, under the portal's default rate limiter), echo realm; each login is a saga actor and a session subscription (sessions expire after 5 s). ` +
          `Interleaved with the floor's round trips in one loop (${paired.op.length} pairs, after the same warm-up): login p50 ${loginP50.toFixed(3)} ms vs raw ${floorP50.toFixed(3)} ms = ${(loginP50 / floorP50).toFixed(2)}×.`,
        ...measured,
      },
    ];
  },
};
