/** The runtime suite on the embedded in-process bus. */
import { InProcessNetwork } from "../../../transports/index.ts";
import { runtimeContract } from "./runtime.contract.ts";

runtimeContract("the in-process bus", async () => {
  const network = new InProcessNetwork();
  return { connect: () => network.connect(), teardown: async () => undefined };
});
