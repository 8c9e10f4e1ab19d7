/** The bus contract over the in-process network, plus what only the embedded bus promises. */
import { describe, expect, it } from "vitest";
import { createInProcessBus, InProcessNetwork, type BusMessage, type BusSubscription } from "../../transports/index.ts";
import { busContract } from "./bus.contract.ts";

busContract("in-process", async () => {
  // nats.conf's max_payload (2MB), so both transports refuse the same payloads.
  const maxPayload = 2 * 1024 * 1024;
  const network = new InProcessNetwork({ maxPayload });
  return { connect: () => network.connect(), maxPayload, teardown: async () => {} };
});

describe("in-process bus", () => {
  it("never delivers inside publish", async () => {
    const bus = createInProcessBus();
    const received: string[] = [];
    bus.subscribe("now", (message) => void received.push(message.subject));
    bus.publish("now", new Uint8Array(0));
    expect(received).toEqual([]);
    await bus.flush();
    expect(received).toEqual(["now"]);
    await bus.close();
  });

  it("delivers a copy, so the sender may reuse its buffer at once", async () => {
    const bus = createInProcessBus();
    const received: number[] = [];
    bus.subscribe("copy", (message) => void received.push(message.data[0]!));
    const buffer = Uint8Array.of(1);
    bus.publish("copy", buffer);
    buffer[0] = 2;
    await bus.flush();
    expect(received).toEqual([1]);
    await bus.close();
  });

  it("reports handler failures to onHandlerError with the subscription and message", async () => {
    const failures: [unknown, BusSubscription, BusMessage | undefined][] = [];
    const bus = createInProcessBus({
      onHandlerError: (error, subscription, message) => void failures.push([error, subscription, message]),
    });
    const subscription = bus.subscribe("fail.*", () => {
      throw new Error("nope");
    });
    bus.publish("fail.one", new Uint8Array(0));
    await bus.flush();
    expect(failures).toHaveLength(1);
    expect(failures[0]![1]).toBe(subscription);
    expect(failures[0]![2]?.subject).toBe("fail.one");
    await bus.close();
  });

  it("shares one queue group across overlapping patterns, as nats-server does", async () => {
    const bus = createInProcessBus();
    let deliveries = 0;
    bus.subscribe("q.a", () => void deliveries++, { queue: "g" });
    bus.subscribe("q.*", () => void deliveries++, { queue: "g" });
    bus.subscribe(">", () => void deliveries++, { queue: "g" });
    for (let i = 0; i < 10; i++) bus.publish("q.a", new Uint8Array(0));
    await bus.flush();
    expect(deliveries).toBe(10);
    await bus.close();
  });

  it("keeps endpoints independent: closing one leaves the others' subscriptions", async () => {
    const network = new InProcessNetwork();
    const [server, client, other] = [network.connect(), network.connect(), network.connect()];
    server.subscribe("svc", (message) => void message.respond(message.data));
    other.subscribe("svc.other", () => {});
    await other.close();
    expect(await client.request("svc", Uint8Array.of(7))).toEqual(Uint8Array.of(7));
    await Promise.all([server.close(), client.close()]);
  });
});
