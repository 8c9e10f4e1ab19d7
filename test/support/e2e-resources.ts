/** What an e2e test over real NATS opens, closed after each test: services first, then buses, then `finally`. */
import { afterEach } from "vitest";
import { connectNatsBus, type NatsBus } from "../../transports/index.ts";

export interface E2eResources {
  /** Stops run in reverse order of pushing, before the buses close; their failures are ignored. */
  readonly stops: Array<() => Promise<void>>;
  /** A NATS bus closed after the test. */
  bus(url: string, timeoutMs?: number): Promise<NatsBus>;
}

/** Registers the `afterEach` that closes them; `finally` then stops what the file started itself (servers, proxies). */
export function e2eResources(finally_: () => Promise<void>): E2eResources {
  const stops: Array<() => Promise<void>> = [];
  const buses: NatsBus[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
    for (const bus of buses.splice(0)) await bus.close();
    await finally_();
  });
  return {
    stops,
    async bus(url, timeoutMs) {
      const b = await connectNatsBus({ servers: url, ...(timeoutMs !== undefined && { timeoutMs }) });
      buses.push(b);
      return b;
    },
  };
}
