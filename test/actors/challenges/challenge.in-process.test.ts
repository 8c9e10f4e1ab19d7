/** Challenge-response on the embedded in-process bus. */
import { afterAll } from "vitest";
import { InProcessNetwork } from "../../../transports/index.ts";
import { challengeContract, passwordCases } from "./challenge.contract.ts";
import { remoteCases } from "./remote-cases.ts";

const remote = remoteCases();
afterAll(() => remote.cleanup());

challengeContract(
  "the in-process bus",
  async () => {
    const network = new InProcessNetwork();
    return { connect: () => network.connect(), teardown: async () => undefined };
  },
  [...passwordCases, ...remote.cases],
  remote.startCheckers,
);
