/** The runtime suite's sessions over a real nats-server started from nats.conf. */
import { connectNatsBus } from "../../../transports/index.ts";
import { startNatsServer } from "../../support/nats-server.ts";
import { runtimeSessionsContract } from "./runtime-sessions.contract.ts";

runtimeSessionsContract("NATS", async () => {
  const server = await startNatsServer();
  return { connect: () => connectNatsBus({ servers: server.url }), teardown: () => server.stop() };
});
