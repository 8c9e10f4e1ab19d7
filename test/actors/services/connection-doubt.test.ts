/** ConnectionDoubt (actors/services/connection-doubt.ts): what a realm service holds back after losing its connection. */
import { describe, expect, it } from "vitest";
import { ConnectionDoubt, type Holdable } from "../../../actors/services/connection-doubt.ts";
import type { Bus } from "../../../transports/bus.ts";
import { createInProcessBus } from "../../../transports/index.ts";
import { sleep, waitFor } from "../../support/wire.ts";

/** The in-process bus never loses its connection; here the test says when it does. */
function flakyBus(): { bus: Bus; set(connected: boolean): void } {
  const listeners = new Set<(connected: boolean) => void>();
  const bus: Bus = Object.assign(createInProcessBus(), {
    onConnectionChange(listener: (connected: boolean) => void) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  });
  return { bus, set: (connected) => listeners.forEach((l) => l(connected)) };
}

function session(): Holdable & { log: string[] } {
  const log: string[] = [];
  return { log, hold: () => void log.push("hold"), resume: () => void log.push("resume") };
}

describe("ConnectionDoubt", () => {
  it("holds every session when the connection is lost and asks once it is back; confirmed ones resume", async () => {
    const { bus, set } = flakyBus();
    const asked: number[] = [];
    let doubt: ConnectionDoubt;
    const a = session();
    const b = session();
    doubt = new ConnectionDoubt(bus, async () => {
      asked.push(Date.now());
      doubt.confirm("a");
      doubt.confirm("b");
    });
    doubt.add("a", a);
    doubt.add("b", b);
    expect(doubt.inDoubt("a")).toBe(false);
    set(false);
    expect(a.log).toEqual(["hold"]);
    expect(doubt.inDoubt("a")).toBe(true);
    expect(asked).toHaveLength(0);
    set(true);
    await waitFor(() => asked.length === 1);
    expect([a.log, b.log]).toEqual([["hold", "resume"], ["hold", "resume"]]);
    expect(doubt.inDoubt("a")).toBe(false);
    doubt.close();
  });

  it("lets a waiting call go on when its session is confirmed or released, and tells it when neither came in time", async () => {
    const { bus, set } = flakyBus();
    const doubt = new ConnectionDoubt(bus, async () => undefined);
    doubt.add("a", session());
    doubt.add("b", session());
    doubt.add("c", session());
    set(false);
    const a = doubt.settled("a", 5000);
    const b = doubt.settled("b", 5000);
    const c = doubt.settled("c", 50);
    doubt.confirm("a");
    doubt.delete("b");
    expect(await a).toBe(true);
    expect(await b).toBe(true);
    expect(await c).toBe(false);
    doubt.close();
  });

  it("asks again while a session is still in doubt (its portal did not answer), and stops once none is", async () => {
    const { bus, set } = flakyBus();
    let rounds = 0;
    let doubt: ConnectionDoubt;
    doubt = new ConnectionDoubt(bus, async () => {
      if (++rounds === 3) doubt.confirm("a");
    });
    doubt.add("a", session());
    set(false);
    set(true);
    await waitFor(() => rounds === 3, 5000);
    await sleep(1200);
    expect(rounds).toBe(3);
    doubt.close();
  });

  it("does nothing on a transport that cannot lose its connection", () => {
    const doubt = new ConnectionDoubt(createInProcessBus(), async () => undefined);
    doubt.add("a", session());
    expect(doubt.inDoubt("a")).toBe(false);
    doubt.close();
  });
});
