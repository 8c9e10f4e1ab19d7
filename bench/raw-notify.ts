/** Floor for notifications: a raw request that makes the responder publish to the requester's subscription. */
import { connectClient } from "./wire-client.ts";
import { counterSubscriber } from "./notify-common.ts";
import { profile, QUICK_BUDGET } from "./measure.ts";
import { GROUP } from "./scenario.ts";
import type { Scenario } from "./scenario.ts";

const TRIGGER = "bench.notify.trigger";
const MIND = "bench.notify.raw";
const encoder = new TextEncoder();

export const rawNotify: Scenario = {
  name: "raw-notify",
  group: GROUP.notify,
  floor: true,
  async run(ctx) {
    await ctx.spawnTs("bench/children/notify-responder.ts", [ctx.natsUrl, TRIGGER, MIND]);
    const nc = await connectClient(ctx.natsUrl);
    ctx.onCleanup(() => nc.close());
    const subscriber = counterSubscriber(nc, MIND, (m) => m.n as number);
    await nc.flush();
    let n = 0;
    const measured = await profile(async () => {
      const counter = n++;
      const arrived = subscriber.expect(counter);
      await nc.request(TRIGGER, encoder.encode(JSON.stringify({ n: counter, text: "x".repeat(64) })), { timeout: 5000 });
      await arrived;
    }, QUICK_BUDGET);
    return [
      {
        label: "raw NATS request → publish → subscriber",
        note:
          "the bench process asks a raw nats.js child, which publishes the payload to a subject the bench process " +
          "subscribes to, then replies; an operation is done when both the reply and the published message arrived.",
        ...measured,
      },
    ];
  },
};
