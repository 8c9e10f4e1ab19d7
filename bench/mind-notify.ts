/** Mind notifications: the echo avatar's `announce` → the session's mind subject, counted at the subscriber. */
import { PASSWORD, USERNAME } from "./kdf-params.ts";
import { profile, QUICK_BUDGET } from "./measure.ts";
import { counterSubscriber } from "./notify-common.ts";
import { GROUP } from "./scenario.ts";
import type { Scenario } from "./scenario.ts";
import { call, connectClient, passwordLogin } from "./wire-client.ts";

/** More sessions than the 128 in flight, so each Mind stays far below its 1,000/s pacing limit. */
const SESSIONS = 256;

export const mindNotify: Scenario = {
  name: "mind-notify",
  group: GROUP.notify,
  async run(ctx) {
    await ctx.spawnTs("bench/children/checker-portal.ts", [ctx.natsUrl, "memory", "60000"]);
    const nc = await connectClient(ctx.natsUrl);
    ctx.onCleanup(() => nc.close());
    const subscriber = counterSubscriber(nc, "_INBOX.bench-mind.>", (m) => {
      if (m.type !== "notify" || m.event !== "announce") throw new Error(`unexpected mind message ${JSON.stringify(m)}`);
      return Number((m.data as { text: string }).text.slice(0, (m.data as { text: string }).text.indexOf(":")));
    });
    await nc.flush();
    const sessions: string[] = [];
    for (let i = 0; i < SESSIONS; i++) sessions.push(await passwordLogin(nc, USERNAME, PASSWORD, `_INBOX.bench-mind.${i}`));
    const pad = "x".repeat(48);
    let n = 0;
    const measured = await profile(async () => {
      const counter = n++;
      const arrived = subscriber.expect(counter);
      await call(nc, sessions[counter % SESSIONS]!, "announce", [`${counter}:${pad}`]);
      await arrived;
    }, QUICK_BUDGET);
    return [
      {
        label: "Portcullis avatar announce → Mind → subscriber",
        note:
          `cred.session.ID.call {method: announce} round-robin over ${SESSIONS} sessions (minds _INBOX.bench-mind.N), portal in a child ` +
          "process; an operation is done when both the call's reply and the notification arrived at the bench process's subscriber. " +
          "Same hops as the floor: the call's validation, supervision and the Mind's encoding and pacing are the difference.",
        ...measured,
      },
    ];
  },
};
