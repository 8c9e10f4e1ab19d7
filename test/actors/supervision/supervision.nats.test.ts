/** The supervision suite over a real nats-server started from nats.conf. */
import { connectNatsBus } from "../../../transports/index.ts";
import { startNatsServer } from "../../support/nats-server.ts";
import { supervisionContract } from "./supervision.contract.ts";

supervisionContract("NATS", async () => {
  const server = await startNatsServer();
  return { connect: () => connectNatsBus({ servers: server.url }), teardown: () => server.stop() };
});
