/** The runtime suite's realms on the embedded in-process bus. */
import { InProcessNetwork } from "../../../transports/index.ts";
import { runtimeRealmsContract } from "./runtime-realms.contract.ts";

runtimeRealmsContract("the in-process bus", async () => {
  const network = new InProcessNetwork();
  return { connect: () => network.connect(), teardown: async () => undefined };
});
