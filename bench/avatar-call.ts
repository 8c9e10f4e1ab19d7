/** Avatar calls through a live session over NATS (`P.session.ID.call`, echo), beside raw request/reply. */
import { PASSWORD, USERNAME } from "./kdf-params.ts";
import { FLOOR_PAYLOAD_BYTES } from "./raw-nats.ts";
import { GROUP } from "./scenario.ts";
import type { Scenario } from "./scenario.ts";
import { call, connectClient, passwordLogin } from "./wire-client.ts";

export const avatarCall: Scenario = {
  name: "avatar-call",
  group: GROUP.roundTrip,
  async run(ctx) {
    // Heartbeat 60 s: the session outlives the run without pings (it ends after 150 s idle).
    await ctx.spawnTs("bench/children/checker-portal.ts", [ctx.natsUrl, "memory", "60000"]);
    const nc = await connectClient(ctx.natsUrl);
    ctx.onCleanup(() => nc.close());
    const session = await passwordLogin(nc, USERNAME, PASSWORD);
    // About the floor's 128 bytes once wrapped in {"method":"echo","args":[…]}.
    const text = "x".repeat(FLOOR_PAYLOAD_BYTES - 32);
    const measured = await ctx.profile(async () => {
      if ((await call(nc, session, "echo", [text])) !== text) throw new Error("echo returned something else");
    });
    return [
      {
        label: "Portcullis avatar call (echo) through a session",
        note:
          "cred.session.ID.call {method: echo} on one live session, portal hosting the avatar in a child process, " +
          "client in the bench process; request ≈ 128 bytes; each call is validated, supervised and counted as activity.",
        ...measured,
      },
    ];
  },
};
