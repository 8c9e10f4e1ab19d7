/** The runtime suite's releases over a real nats-server started from nats.conf. */
import { connectNatsBus } from "../../../transports/index.ts";
import { startNatsServer } from "../../support/nats-server.ts";
import { runtimeReleasesContract } from "./runtime-releases.contract.ts";

runtimeReleasesContract("NATS", async () => {
  const server = await startNatsServer();
  return { connect: () => connectNatsBus({ servers: server.url }), teardown: () => server.stop() };
});
