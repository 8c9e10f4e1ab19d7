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

it("sends the drains asked for in one turn in two socket writes (the first at once), not one each", async () => {
  const server = await startNatsServer();
  try {
    const bus = await connectNatsBus({ servers: server.url, name: "drain-batch" });
    const subs = Array.from({ length: 50 }, (_, i) => bus.subscribe(`batch.${i}`, () => {}));
    await bus.flush();
    // The socket nats.js writes to (the same internals drain-batch.ts corks).
    const socket = (bus.connection as unknown as { protocol: { transport: { socket: Record<string, (...args: unknown[]) => unknown> } } })
      .protocol.transport.socket;
    let writes = 0;
    for (const method of ["_write", "_writev"] as const) {
      const original = socket[method]!;
      socket[method] = function (this: unknown, ...args: unknown[]) {
        writes++;
        return original.apply(this, args);
      };
    }
    await Promise.all(subs.map((sub) => sub.drain()));
    // The first drain at once, the other 49 UNSUB+PING pairs in one write (without the batch: 50).
    expect(writes).toBe(2);
    await bus.drain();
  } finally {
    await server.stop();
  }
});
