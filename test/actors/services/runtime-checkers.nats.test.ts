/** The runtime suite's checkers over a real nats-server started from nats.conf. */
import { connectNatsBus } from "../../../transports/index.ts";
import { startNatsServer } from "../../support/nats-server.ts";
import { runtimeCheckersContract } from "./runtime-checkers.contract.ts";

runtimeCheckersContract("NATS", async () => {
  const server = await startNatsServer();
  return { connect: () => connectNatsBus({ servers: server.url }), teardown: () => server.stop() };
});
