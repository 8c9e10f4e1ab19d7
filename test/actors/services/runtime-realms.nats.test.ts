/** The runtime suite's realms over a real nats-server started from nats.conf. */
import { connectNatsBus } from "../../../transports/index.ts";
import { startNatsServer } from "../../support/nats-server.ts";
import { runtimeRealmsContract } from "./runtime-realms.contract.ts";

runtimeRealmsContract("NATS", async () => {
  const server = await startNatsServer();
  return { connect: () => connectNatsBus({ servers: server.url }), teardown: () => server.stop() };
});
