/** Floor: one raw NATS request/reply between this process and an echo responder in another. */
import { connect } from "@nats-io/transport-node";
import { GROUP } from "./scenario.ts";
import type { Scenario } from "./scenario.ts";

const SUBJECT = "bench.raw.echo";
/** About the size of a login request (username, credential kind, a password or a response). */
export const FLOOR_PAYLOAD_BYTES = 128;

export const rawNats: Scenario = {
  name: "raw-nats",
  group: GROUP.roundTrip,
  floor: true,
  async run(ctx) {
    await ctx.spawnTs("bench/children/echo-responder.ts", [ctx.natsUrl, SUBJECT]);
    // nats.js directly, not transports/: the floor must not include anything of ours.
    // noAsyncTraces skips capturing a stack per request (measured: ~60% more requests/s).
    const nc = await connect({ servers: ctx.natsUrl, noAsyncTraces: true });
    ctx.onCleanup(() => nc.close());
    const payload = new Uint8Array(FLOOR_PAYLOAD_BYTES);
    const measured = await ctx.profile(() => nc.request(SUBJECT, payload, { timeout: 5000 }));
    return [
      {
        label: "raw NATS request/reply (nats.js)",
        note: `${FLOOR_PAYLOAD_BYTES}-byte payload; requester in the bench process, callback-subscription responder in a child process.`,
        ...measured,
      },
    ];
  },
};
