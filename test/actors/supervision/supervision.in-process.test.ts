/** The supervision suite on the embedded in-process bus. */
import { InProcessNetwork } from "../../../transports/index.ts";
import { supervisionContract } from "./supervision.contract.ts";

supervisionContract("the in-process bus", async () => {
  const network = new InProcessNetwork();
  return { connect: () => network.connect(), teardown: async () => undefined };
});
