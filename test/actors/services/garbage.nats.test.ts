/** The garbage suite over a real nats-server started from nats.conf (max_payload 2MB, so 1 MiB reaches the runtime). */
import { connectNatsBus } from "../../../transports/index.ts";
import { startNatsServer } from "../../support/nats-server.ts";
import { garbageContract } from "./garbage.contract.ts";

garbageContract("NATS", async () => {
  const server = await startNatsServer();
  return { connect: () => connectNatsBus({ servers: server.url }), teardown: () => server.stop() };
});
