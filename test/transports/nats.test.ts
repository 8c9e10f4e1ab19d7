/** The bus contract over a real nats-server started from nats.conf. */
import { expect, it, vi } from "vitest";
import { connectNatsBus, type NatsBus } from "../../transports/index.ts";
import { MAX_DRAINS_IN_FLIGHT } from "../../transports/drain-queue.ts";
import { startNatsServer } from "../support/nats-server.ts";
import { busContract } from "./bus.contract.ts";

busContract("nats", async () => {
  const server = await startNatsServer();
  // nats.conf's max_payload: 2MB.
  return { connect: () => connectNatsBus({ servers: server.url }), maxPayload: 2 * 1024 * 1024, teardown: () => server.stop() };
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

/** Counts the socket writes nats.js makes on the bus's connection (the socket turn-cork.ts corks). */
function countWrites(bus: NatsBus): { readonly count: number } {
  const socket = (bus.connection as unknown as { protocol: { transport: { socket: Record<string, (...args: unknown[]) => unknown> } } })
    .protocol.transport.socket;
  const counter = { count: 0 };
  for (const method of ["_write", "_writev"] as const) {
    const original = socket[method]!;
    socket[method] = function (this: unknown, ...args: unknown[]) {
      counter.count++;
      return original.apply(this, args);
    };
  }
  return counter;
}

it("sends the drains asked for in one turn of the event loop in one socket write, not one each", async () => {
  const server = await startNatsServer();
  try {
    const bus = await connectNatsBus({ servers: server.url, name: "turn-cork-drains" });
    const subs = Array.from({ length: 50 }, (_, i) => bus.subscribe(`batch.${i}`, () => {}));
    await bus.flush();
    const writes = countWrites(bus);
    await Promise.all(subs.map((sub) => sub.drain()));
    // 50 UNSUB+PING pairs in one write; without the cork nats.js flushed them one by one.
    expect(writes.count).toBe(1);
    await bus.drain();
  } finally {
    await server.stop();
  }
});

it("sends a subscription made while answering a request in the same socket write as the reply, SUB first", async () => {
  const server = await startNatsServer();
  try {
    const service = await connectNatsBus({ servers: server.url, name: "cork-sub-reply-service" });
    const client = await connectNatsBus({ servers: server.url, name: "cork-sub-reply-client" });
    let writesInTurn = -1;
    let writes: { readonly count: number } | undefined;
    service.subscribe("svc.open", async (message) => {
      const before = writes!.count;
      // As a login does: the session's subscription, a few awaits (nats.js flushes its buffer on
      // a microtask in between), then the reply naming it.
      service.subscribe("svc.session.>", (m) => void m.respond(new TextEncoder().encode("session answers")));
      for (let i = 0; i < 3; i++) await Promise.resolve();
      message.respond(new TextEncoder().encode("opened"));
      setImmediate(() => (writesInTurn = writes!.count - before));
    });
    await service.flush();
    writes = countWrites(service);
    expect(new TextDecoder().decode(await client.request("svc.open", new Uint8Array(), { timeoutMs: 2000 }))).toBe("opened");
    // Asked at once on receipt of the reply: the SUB reached the server before the reply did.
    expect(new TextDecoder().decode(await client.request("svc.session.call", new Uint8Array(), { timeoutMs: 2000 }))).toBe("session answers");
    await new Promise((resolve) => setImmediate(resolve));
    // Without the cork nats.js wrote the SUB and the reply in two writes.
    expect(writesInTurn).toBe(1);
    await client.drain();
    await service.drain();
  } finally {
    await server.stop();
  }
});

it("keeps at most MAX_DRAINS_IN_FLIGHT pings outstanding when thousands of subscriptions drain at once", async () => {
  const server = await startNatsServer();
  try {
    const bus = await connectNatsBus({ servers: server.url, name: "drain-queue" });
    const subs = Array.from({ length: 3000 }, (_, i) => bus.subscribe(`many.${i}`, () => {}));
    await bus.flush();
    // nats.js's PONG waiters (the array whose shift is O(n)): the most it ever held.
    const protocol = (bus.connection as unknown as { protocol: { pongs: unknown[] } }).protocol;
    let most = 0;
    const push = protocol.pongs.push.bind(protocol.pongs);
    protocol.pongs.push = (...items: unknown[]) => {
      const length = push(...items);
      most = Math.max(most, length);
      return length;
    };
    await Promise.all(subs.map((sub) => sub.drain()));
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(MAX_DRAINS_IN_FLIGHT);
    // Every one of them is gone from the server: nothing answers there any more.
    await expect(bus.request("many.2999", new Uint8Array(), { timeoutMs: 1000 })).rejects.toThrow(/no responders/i);
    await bus.drain();
  } finally {
    await server.stop();
  }
});

it("delivers a reply written in a turn a drain corked, when close() comes later in that turn (the corked socket is flushed first)", async () => {
  const server = await startNatsServer();
  try {
    const service = await connectNatsBus({ servers: server.url, name: "cork-close-service" });
    const client = await connectNatsBus({ servers: server.url, name: "cork-close-client" });
    const other = service.subscribe("svc.other", () => {});
    service.subscribe("svc.last", (message) => {
      // A drain corks the socket for the rest of the turn; the reply joins it there.
      void other.drain();
      message.respond(new TextEncoder().encode("last words"));
      // Later in the same turn, after nats.js handed the reply to the (corked) socket; a close in
      // the very same synchronous run would beat nats.js's own flush, cork or not.
      void Promise.resolve().then(() => service.close());
    });
    await service.flush();
    expect(new TextDecoder().decode(await client.request("svc.last", new Uint8Array(), { timeoutMs: 2000 }))).toBe("last words");
    await client.drain();
  } finally {
    await server.stop();
  }
});

it("delivers everything published before close() even when nats-server reads it late, while the closing connection has unread input", async () => {
  // A stopping realm's last notices were lost this way on two loaded cores: nats.js's close()
  // destroyed the socket, and a socket closed with unread input is reset, which takes with it
  // what the kernel still held for a server that had not read it yet.
  const server = await startNatsServer();
  try {
    const receiver = await connectNatsBus({ servers: server.url, name: "late-reader-receiver" });
    const sender = await connectNatsBus({ servers: server.url, name: "late-reader-sender" });
    let got = 0;
    receiver.subscribe("last.words", () => void got++);
    sender.subscribe("chatter", () => {});
    await receiver.flush();
    await sender.flush();
    // Input the sender will not have read when it closes.
    for (let i = 0; i < 64; i++) receiver.publish("chatter", new Uint8Array(4096));
    await receiver.flush();
    server.pause();
    // 16 MiB: more than the kernel holds for a server that reads nothing.
    const payload = new Uint8Array(16 * 1024);
    for (let i = 0; i < 1024; i++) sender.publish("last.words", payload);
    const closing = sender.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    server.resume();
    await closing;
    await vi.waitFor(() => expect(got).toBe(1024), { timeout: 10_000 });
    await receiver.close();
  } finally {
    await server.stop();
  }
});

it("settles the drains a close() cut short, and every drain asked for after, instead of waiting for ever", async () => {
  // nats.js never settles the PONG a closed connection was waiting for: drains holding the
  // queue's slots would have kept every later drain waiting (found in review).
  const server = await startNatsServer();
  try {
    const bus = await connectNatsBus({ servers: server.url, name: "drain-close" });
    const subs = Array.from({ length: MAX_DRAINS_IN_FLIGHT + 50 }, (_, i) => bus.subscribe(`cut.${i}`, () => {}));
    await bus.flush();
    const cutShort = subs.slice(0, MAX_DRAINS_IN_FLIGHT).map((sub) => sub.drain());
    void bus.close();
    const later = subs.slice(MAX_DRAINS_IN_FLIGHT).map((sub) => sub.drain());
    const settled = await Promise.race([
      Promise.all([...cutShort, ...later]).then(() => "settled"),
      new Promise((resolve) => setTimeout(() => resolve("hung"), 3000)),
    ]);
    expect(settled).toBe("settled");
    await expect(bus.drain()).resolves.toBeUndefined();
  } finally {
    await server.stop();
  }
});
