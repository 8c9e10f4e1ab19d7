/** The runtime suite's sessions on the embedded in-process bus. */
import { InProcessNetwork } from "../../../transports/index.ts";
import { runtimeSessionsContract } from "./runtime-sessions.contract.ts";
import { NATS_CONF_MAX_PAYLOAD } from "../../support/wire.ts";

runtimeSessionsContract("the in-process bus", async () => {
  const network = new InProcessNetwork({ maxPayload: NATS_CONF_MAX_PAYLOAD });
  return { connect: () => network.connect(), teardown: async () => undefined };
});
