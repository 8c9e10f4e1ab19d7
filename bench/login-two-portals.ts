/**
 * Scale-out: two all-in-one portal processes sharing `P.login` in the queue group `P.portal`,
 * the client in a third. Not a target row; it shows what the second core gives.
 */
import { loginClient } from "./login-client.ts";
import { GROUP } from "./scenario.ts";
import type { Scenario } from "./scenario.ts";

export const loginTwoPortals: Scenario = {
  name: "login-two-portals",
  group: GROUP.roundTrip,
  async run(ctx) {
    await ctx.spawnTs("bench/children/portcullis-services.ts", [ctx.natsUrl, "all-in-one"]);
    await ctx.spawnTs("bench/children/portcullis-services.ts", [ctx.natsUrl, "all-in-one"]);
    const { nc, login } = await loginClient(ctx.natsUrl);
    ctx.onCleanup(() => nc.close());
    const measured = await ctx.profile(login);
    return [
      {
        label: "Portcullis login, two portal processes (queue group)",
        note: "as the one-process row, twice: nats-server spreads cred.login over both portals; each session lives on the portal that opened it.",
        ...measured,
      },
    ];
  },
};
