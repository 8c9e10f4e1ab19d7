/** Portcullis logins with portal, checker and realm in one process, the client in another: floor is one round trip. */
import { loginClient } from "./login-client.ts";
import { GROUP } from "./scenario.ts";
import type { Scenario } from "./scenario.ts";

export const loginOneProcess: Scenario = {
  name: "login-one-process",
  group: GROUP.roundTrip,
  async run(ctx) {
    await ctx.spawnTs("bench/children/portcullis-services.ts", [ctx.natsUrl, "all-in-one"]);
    const { nc, login } = await loginClient(ctx.natsUrl);
    ctx.onCleanup(() => nc.close());
    const measured = await ctx.profile(login);
    return [
      {
        label: "Portcullis login, portal+checker+realm in one process",
        note: "username-password against the in-memory checker, echo realm; each login is a saga actor and a session subscription (sessions expire after 5 s).",
        ...measured,
      },
    ];
  },
};
