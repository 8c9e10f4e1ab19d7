/** servePortal's start: nothing of a portal that failed to start keeps listening (found in review). */
import { describe, expect, it } from "vitest";
import { servePortal, SimpleRealm, InMemoryUsernamePasswordDatabaseDontUse } from "../../../actors/index.ts";
import { createInProcessBus, type Bus, type BusSubscription } from "../../../transports/index.ts";

/** The in-process bus, counting live subscriptions, whose `flush` fails from the `failFrom`-th call on. */
function flakyBus(failFrom: number): { bus: Bus; live: Set<string> } {
  const inner = createInProcessBus();
  const live = new Set<string>();
  let flushes = 0;
  let next = 0;
  const bus: Bus = {
    request: (...args) => inner.request(...args),
    publish: (...args) => inner.publish(...args),
    inbox: () => inner.inbox(),
    drain: () => inner.drain(),
    close: () => inner.close(),
    closed: inner.closed,
    flush: () => (++flushes >= failFrom ? Promise.reject(new Error("connection lost")) : inner.flush()),
    subscribe(subject, handler, options): BusSubscription {
      const sub = inner.subscribe(subject, handler, options);
      const key = `${next++} ${subject}`;
      live.add(key);
      return {
        subject,
        unsubscribe: () => (live.delete(key), sub.unsubscribe()),
        drain: () => (live.delete(key), sub.drain()),
      };
    },
  };
  return { bus, live };
}

describe("servePortal when its start fails", () => {
  it.each([
    ["while it waits for the checkers' discover answers", 1],
    ["at its last flush, once it serves logins", 2],
  ])("leaves nothing subscribed when the bus fails %s", async (_when, failFrom) => {
    const { bus, live } = flakyBus(failFrom);
    await expect(servePortal(bus, { realm: new SimpleRealm(), checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ a: "b" })] })).rejects.toThrow(
      "connection lost",
    );
    expect([...live]).toEqual([]);
    await bus.close();
  });
});
