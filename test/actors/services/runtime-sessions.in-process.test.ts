/** The runtime suite's sessions on the embedded in-process bus. */
import { InProcessNetwork } from "../../../transports/index.ts";
import { runtimeSessionsContract } from "./runtime-sessions.contract.ts";

runtimeSessionsContract("the in-process bus", async () => {
  const network = new InProcessNetwork();
  return { connect: () => network.connect(), teardown: async () => undefined };
});
