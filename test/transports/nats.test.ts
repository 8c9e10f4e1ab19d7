/** The bus contract over a real nats-server started from nats.conf. */
import { expect, it } from "vitest";
import { connectNatsBus } from "../../transports/index.ts";
import { startNatsServer } from "../support/nats-server.ts";
import { busContract } from "./bus.contract.ts";

busContract("nats", async () => {
  const server = await startNatsServer();
  return { connect: () => connectNatsBus({ servers: server.url }), teardown: () => server.stop() };
});

it("exposes the underlying NATS connection and follows it when it closes", async () => {
  const server = await startNatsServer();
  try {
    const bus = await connectNatsBus({ servers: server.url, name: "contract-extra" });
    expect(bus.connection.isClosed()).toBe(false);
    await bus.connection.close();
    await bus.closed;
    expect(() => bus.publish("x", new Uint8Array(1))).toThrow("bus is closed");
  } finally {
    await server.stop();
  }
});
