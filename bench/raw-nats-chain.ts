/** Floor for logins: three chained raw NATS round trips across four processes, as portal → checker → realm. */
import { connect } from "@nats-io/transport-node";
import { FLOOR_PAYLOAD_BYTES } from "./raw-nats.ts";
import { GROUP } from "./scenario.ts";
import type { Scenario } from "./scenario.ts";

const PORTAL = "bench.chain.portal";
const CHECKER = "bench.chain.checker";
const REALM = "bench.chain.realm";

// Modelled as the relay, not as a client making three requests: in a login the portal
// process receives the client's request and itself asks the checker, then the realm,
// so its own decode/encode and event-loop hops are part of the floor. Checker and realm
// are separate processes, as the actors may be deployed.
export const rawNatsChain: Scenario = {
  name: "raw-nats-chain",
  group: GROUP.login,
  floor: true,
  async run(ctx) {
    await ctx.spawnTs("bench/children/echo-responder.ts", [ctx.natsUrl, CHECKER]);
    await ctx.spawnTs("bench/children/echo-responder.ts", [ctx.natsUrl, REALM]);
    await ctx.spawnTs("bench/children/relay-responder.ts", [ctx.natsUrl, PORTAL, CHECKER, REALM]);
    // nats.js directly, not transports/: the floor must not include anything of ours.
    const nc = await connect({ servers: ctx.natsUrl, noAsyncTraces: true });
    ctx.onCleanup(() => nc.close());
    const payload = new Uint8Array(FLOOR_PAYLOAD_BYTES);
    const measured = await ctx.profile(() => nc.request(PORTAL, payload, { timeout: 5000 }));
    return [
      {
        label: "3 chained raw NATS round trips",
        note: "client → portal stand-in, which asks a checker echo then a realm echo (4 processes) before replying.",
        ...measured,
      },
    ];
  },
};
