/** The garbage suite on the embedded in-process bus. */
import { InProcessNetwork } from "../../../transports/index.ts";
import { garbageContract } from "./garbage.contract.ts";

garbageContract("the in-process bus", async () => {
  const network = new InProcessNetwork();
  return { connect: () => network.connect(), teardown: async () => undefined };
});
