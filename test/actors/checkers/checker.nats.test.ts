/** The checker contract with each checker served on a real nats-server and reached through RemoteChecker. */
import { RemoteChecker, serveChecker, type CheckerService } from "../../../actors/index.ts";
import type { Bus } from "../../../transports/bus.ts";
import { connectNatsBus } from "../../../transports/index.ts";
import { startNatsServer } from "../../support/nats-server.ts";
import { checkerContract } from "./checker.contract.ts";
import { CHECKER_CASES } from "./checker-cases.ts";

checkerContract(
  "NATS service",
  async () => {
    const server = await startNatsServer();
    const serving: Bus = await connectNatsBus({ servers: server.url });
    const calling: Bus = await connectNatsBus({ servers: server.url });
    const services: CheckerService[] = [];
    return {
      async place(checker) {
        const service = await serveChecker(serving, checker, { name: `contract-${services.length}` });
        services.push(service);
        return new RemoteChecker(calling, service.name, service.kinds);
      },
      async teardown() {
        for (const service of services) await service.stop();
        await calling.close();
        await serving.close();
        await server.stop();
      },
    };
  },
  CHECKER_CASES,
  { local: false },
);
