/**
 * What PROTOCOL.md costs before any Portcullis code runs: a raw nats.js responder that, per
 * request, subscribes one session subject and drops it when the session would expire, as every
 * portal must (one `P.session.ID.>` subscription per live session). The gap between this row and
 * the floor is the protocol's; the gap between it and the login row is the runtime's.
 */
import { connect } from "@nats-io/transport-node";
import { BENCH_SESSION_LIFE_MS } from "./login-client.ts";
import { FLOOR_PAYLOAD_BYTES } from "./raw-nats.ts";
import { GROUP } from "./scenario.ts";
import type { Scenario } from "./scenario.ts";

const SUBJECT = "bench.raw.session";

export const rawNatsSessionSub: Scenario = {
  name: "raw-nats-session-sub",
  group: GROUP.roundTrip,
  async run(ctx) {
    await ctx.spawnTs("bench/children/session-sub-responder.ts", [ctx.natsUrl, SUBJECT, String(BENCH_SESSION_LIFE_MS)]);
    const nc = await connect({ servers: ctx.natsUrl, noAsyncTraces: true });
    ctx.onCleanup(() => nc.close());
    const payload = new Uint8Array(FLOOR_PAYLOAD_BYTES);
    const measured = await ctx.profile(() => nc.request(SUBJECT, payload, { timeout: 5000 }));
    return [
      {
        label: "raw NATS request/reply + one session subscription per request (PROTOCOL.md's minimum)",
        note:
          `nats.js responder that subscribes bench.session.ID.> per request and unsubscribes it ${BENCH_SESSION_LIFE_MS / 1000} s later, as long as a bench login's session lives; ` +
          "no checker, saga or JSON: what the protocol alone costs nats-server and nats.js.",
        ...measured,
      },
    ];
  },
};
