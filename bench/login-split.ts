/** Portcullis logins with portal, checker and realm each in its own process: floor is three chained round trips. */
import { loginClient } from "./login-client.ts";
import { GROUP } from "./scenario.ts";
import type { Scenario } from "./scenario.ts";

export const loginSplit: Scenario = {
  name: "login-split",
  group: GROUP.login,
  async run(ctx) {
    await ctx.spawnTs("bench/children/portcullis-services.ts", [ctx.natsUrl, "checker"]);
    await ctx.spawnTs("bench/children/portcullis-services.ts", [ctx.natsUrl, "realm"]);
    // The portal discovers the running checker on start.
    await ctx.spawnTs("bench/children/portcullis-services.ts", [ctx.natsUrl, "portal"]);
    const { nc, login } = await loginClient(ctx.natsUrl);
    ctx.onCleanup(() => nc.close());
    const measured = await ctx.profile(login);
    return [
      {
        label: "Portcullis login, checker and realm as separate services",
        note: "portal → cred.checker.bench → cred.realm.bench.avatar, four processes; the avatar lives in the realm's process.",
        ...measured,
      },
    ];
  },
};
