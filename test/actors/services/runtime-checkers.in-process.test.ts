/** The runtime suite's checkers on the embedded in-process bus. */
import { InProcessNetwork } from "../../../transports/index.ts";
import { runtimeCheckersContract } from "./runtime-checkers.contract.ts";

runtimeCheckersContract("the in-process bus", async () => {
  const network = new InProcessNetwork();
  return { connect: () => network.connect(), teardown: async () => undefined };
});
