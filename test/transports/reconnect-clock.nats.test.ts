/**
 * askRidingOutReconnects over a real nats-server: which no-responders answers are asked again and
 * which are believed. The process's own connection runs through a proxy that can drop it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { connectNatsBus, NoResponders, type NatsBus } from "../../transports/index.ts";
import { askRidingOutReconnects, watchReconnects } from "../../transports/reconnect-clock.ts";
import { startNatsServer, type NatsServerHandle } from "../support/nats-server.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";

let server: NatsServerHandle | undefined;
let proxy: TcpProxy | undefined;
const buses: NatsBus[] = [];

afterEach(async () => {
  for (const bus of buses.splice(0)) await bus.close();
  await proxy?.close();
  await server?.stop();
  proxy = undefined;
  server = undefined;
});

async function setUp(): Promise<{ mine: NatsBus; other: NatsBus }> {
  server = await startNatsServer();
  proxy = await startTcpProxy(server.port);
  const mine = await connectNatsBus({ servers: proxy.url, reconnectTimeWaitMs: 50, timeoutMs: 2000 });
  const other = await connectNatsBus({ servers: server.url });
  buses.push(mine, other);
  watchReconnects(mine);
  return { mine, other };
}

describe("askRidingOutReconnects", () => {
  it("knows of every reconnect of a NATS bus since it connected, though nothing asked it to watch before", async () => {
    server = await startNatsServer();
    const fresh = await connectNatsBus({ servers: server.url, reconnectTimeWaitMs: 50, timeoutMs: 2000 });
    const other = await connectNatsBus({ servers: server.url });
    buses.push(fresh, other);
    let back!: () => void;
    const reconnected = new Promise<void>((resolve) => (back = resolve));
    fresh.onConnectionChange!((connected) => connected && back());
    const { port } = server;
    await server.stop();
    server = await startNatsServer({ port });
    await reconnected;
    // The service is not back yet: it resubscribes 300 ms after this process's reconnect.
    setTimeout(() => other.subscribe("service.late", (message) => void message.respond(message.data)), 300);
    const answer = await askRidingOutReconnects(fresh, () => fresh.request("service.late", new Uint8Array([7])));
    expect([...answer]).toEqual([7]);
  });

  it("believes no-responders at once while the server answers this connection", async () => {
    const { mine } = await setUp();
    const startedAt = performance.now();
    let asks = 0;
    const asked = askRidingOutReconnects(mine, () => {
      asks++;
      return mine.request("nobody.here", new Uint8Array());
    });
    await expect(asked).rejects.toBeInstanceOf(NoResponders);
    expect(asks).toBe(1);
    expect(performance.now() - startedAt).toBeLessThan(500);
  });

  it("asks again after the reconnect when this connection is lost right after the no-responders (a server shutting down closes one connection after another)", async () => {
    const { mine, other } = await setUp();
    let asks = 0;
    const asked = askRidingOutReconnects(mine, async () => {
      asks++;
      try {
        return await mine.request("service.echo", new Uint8Array([1]));
      } catch (error) {
        // As nats-server does on SIGTERM: the service's connection went first, this one goes next.
        if (asks === 1) {
          proxy!.cut();
          setTimeout(() => {
            other.subscribe("service.echo", (message) => void message.respond(message.data));
            proxy!.restore();
          }, 300);
        }
        throw error;
      }
    });
    expect(await asked).toEqual(new Uint8Array([1]));
    expect(asks).toBeGreaterThan(1);
  });

  it("gives up with the no-responders once the grace after the reconnect is over", async () => {
    const { mine } = await setUp();
    let asks = 0;
    const startedAt = performance.now();
    const asked = askRidingOutReconnects(
      mine,
      async () => {
        asks++;
        try {
          return await mine.request("nobody.here", new Uint8Array());
        } catch (error) {
          if (asks === 1) {
            proxy!.cut();
            setTimeout(() => proxy!.restore(), 200);
          }
          throw error;
        }
      },
      { graceMs: 1000 },
    );
    await expect(asked).rejects.toBeInstanceOf(NoResponders);
    expect(asks).toBeGreaterThan(2);
    expect(performance.now() - startedAt).toBeLessThan(1000 + 200 + 1500);
  });
});
