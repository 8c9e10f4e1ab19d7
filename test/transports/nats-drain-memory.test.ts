/** A NATS bus that drains subscriptions for ever (every session ending does) holds nothing per drain once it is done. */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { expect, it } from "vitest";
import { connectNatsBus } from "../../transports/index.ts";
import { startNatsServer } from "../support/nats-server.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** heapUsed after two full collections, in bytes. */
function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

it("keeps no memory for drains that finished: 10,000 subscribe-and-drain cycles leave the heap where it was", async () => {
  const server = await startNatsServer();
  const bus = await connectNatsBus({ servers: server.url });
  try {
    const cycles = async (n: number) => {
      for (let done = 0; done < n; done += 500) {
        await Promise.all(Array.from({ length: 500 }, (_, i) => bus.subscribe(`drain.memory.${done + i}`, () => undefined).drain()));
      }
    };
    await cycles(2_000); // warm-up: code, nats.js's buffers, the drain queue
    const before = heapAfterGc();
    await cycles(10_000);
    const grown = heapAfterGc() - before;
    // Each drain once raced the bus's `closed` promise, which kept two closures, two promises and
    // a context per drain until the bus closed: about 2.6 MB for these 10,000 (a portal grew ~330
    // bytes per login for good).
    expect(grown).toBeLessThan(1_000_000);
  } finally {
    await bus.close();
    await server.stop();
  }
}, 60_000);
