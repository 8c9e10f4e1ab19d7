/** The runtime suite's releases on the embedded in-process bus. */
import { InProcessNetwork } from "../../../transports/index.ts";
import { runtimeReleasesContract } from "./runtime-releases.contract.ts";

runtimeReleasesContract("the in-process bus", async () => {
  const network = new InProcessNetwork();
  return { connect: () => network.connect(), teardown: async () => undefined };
});
