/** Challenge-response over a real nats-server started from nats.conf. */
import { afterAll } from "vitest";
import { connectNatsBus } from "../../../transports/index.ts";
import { startNatsServer } from "../../support/nats-server.ts";
import { challengeContract, passwordCases } from "./challenge.contract.ts";
import { remoteCases } from "./remote-cases.ts";

const remote = remoteCases();
afterAll(() => remote.cleanup());

challengeContract(
  "NATS",
  async () => {
    const server = await startNatsServer();
    return { connect: () => connectNatsBus({ servers: server.url }), teardown: () => server.stop() };
  },
  [...passwordCases, ...remote.cases],
  remote.startCheckers,
);
