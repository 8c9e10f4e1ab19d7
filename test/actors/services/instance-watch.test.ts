/** InstanceWatch (actors/services/instance-watch.ts): finding realm processes that died, without taking busy or reconnecting ones for dead. */
import { afterEach, describe, expect, it } from "vitest";
import { InstanceWatch } from "../../../actors/index.ts";
import { okEmpty } from "../../../actors/wire/codec.ts";
import type { Bus, BusSubscription } from "../../../transports/bus.ts";
import { InProcessNetwork } from "../../../transports/index.ts";
import { sleep, waitFor } from "../../support/wire.ts";

const SUBJECT = "cred.realm.game.instance.abc";

describe("InstanceWatch", () => {
  let watcher: Bus;
  let realm: Bus;
  let asked: number;
  let instance: BusSubscription;
  let watch: InstanceWatch | undefined;

  /** A realm instance answering on SUBJECT (or holding every request unanswered). */
  function serveInstance(answer = true): void {
    asked = 0;
    instance = realm.subscribe(SUBJECT, (m) => {
      asked++;
      if (answer) m.respond(okEmpty());
    });
  }

  async function setUp(answer = true): Promise<void> {
    const network = new InProcessNetwork();
    watcher = network.connect();
    realm = network.connect();
    serveInstance(answer);
  }

  afterEach(async () => {
    watch?.close();
    await watcher.close();
    await realm.close();
  });

  it("runs onLost once for every avatar on an instance gone for confirmMs, from the periodic checks alone", async () => {
    await setUp();
    watch = new InstanceWatch(watcher, { checkEveryMs: 20, confirmMs: 60 });
    const lost: string[] = [];
    watch.watch(SUBJECT, () => lost.push("a"));
    watch.watch(SUBJECT, () => lost.push("b"));
    await sleep(70);
    expect(lost).toEqual([]);
    expect(asked).toBeGreaterThanOrEqual(1);
    instance.unsubscribe();
    await waitFor(() => lost.length === 2, 1000);
    await sleep(60);
    expect(lost.sort()).toEqual(["a", "b"]);
    expect(watch.instances).toBe(0);
  });

  it("finds an instance without responders alive again within a quarter second of its return, not at the end of confirmMs", async () => {
    // An outside probe: a realm back from a NATS restart before its portal refused the portal's
    // sessions' calls for the whole 5 s window, though the portal was back 0.2 s later.
    await setUp();
    watch = new InstanceWatch(watcher, { checkEveryMs: 60_000, confirmMs: 5000 });
    const host = watch.watch(SUBJECT, () => undefined);
    instance.unsubscribe();
    expect(await host.recheck()).toBe("unreachable");
    expect(host.known()).toBe("unreachable");
    await sleep(100);
    serveInstance();
    const backAt = performance.now();
    await waitFor(() => host.known() === "alive", 2000);
    expect(performance.now() - backAt).toBeLessThan(600);
  });

  it("asks once for many concurrent state() calls, and trusts an answer for freshMs", async () => {
    await setUp();
    watch = new InstanceWatch(watcher, { checkEveryMs: 60_000, freshMs: 100 });
    const host = watch.watch(SUBJECT, () => undefined);
    expect(await Promise.all([host.state(), host.state(), host.state()])).toEqual(["alive", "alive", "alive"]);
    expect(asked).toBe(1);
    expect(await host.state()).toBe("alive");
    expect(asked).toBe(1);
    await sleep(120);
    expect(await host.state()).toBe("alive");
    expect(asked).toBe(2);
  });

  it("calls an instance without responders unreachable, then gone once confirmMs has passed, running onLost once", async () => {
    await setUp();
    watch = new InstanceWatch(watcher, { checkEveryMs: 60_000, confirmMs: 80 });
    let lost = 0;
    const host = watch.watch(SUBJECT, () => lost++);
    expect(host.known()).toBe("alive");
    instance.unsubscribe();
    expect(await host.state()).toBe("unreachable");
    expect(host.known()).toBe("unreachable");
    expect(await host.state()).toBe("unreachable");
    expect(lost).toBe(0);
    // Nothing else asks: the instance is checked again when the window ends.
    await waitFor(() => lost === 1, 1000);
    expect(await host.state()).toBe("gone");
    expect(host.known()).toBe("gone");
    await sleep(100);
    expect(lost).toBe(1);
  });

  it("keeps an instance that comes back within confirmMs (a reconnect), and runs no onLost", async () => {
    await setUp();
    watch = new InstanceWatch(watcher, { checkEveryMs: 30, confirmMs: 150 });
    let lost = 0;
    const host = watch.watch(SUBJECT, () => lost++);
    instance.unsubscribe();
    expect(await host.state()).toBe("unreachable");
    await sleep(60);
    serveInstance(); // resubscribed, as nats.js does after a reconnect
    await sleep(250);
    expect(lost).toBe(0);
    expect(await host.state()).toBe("alive");
    expect(watch.instances).toBe(1);
  });

  it("calls an instance that does not answer in time busy, not dead, and asks again on the next state()", async () => {
    await setUp(false);
    watch = new InstanceWatch(watcher, { checkEveryMs: 60_000, timeoutMs: 30 });
    let lost = 0;
    const host = watch.watch(SUBJECT, () => lost++);
    expect(await host.state()).toBe("busy");
    expect(asked).toBe(1);
    // A timeout is not an answer: the next state() asks again rather than trusting it.
    expect(await host.state()).toBe("busy");
    expect(asked).toBe(2);
    expect(lost).toBe(0);
  });

  it("counts an instance that only ever times out as gone after busyLimitMs (a passive subscriber hides its death)", async () => {
    await setUp(false); // a subscriber that never answers: what `nats sub 'cred.>'` makes of a dead realm
    watch = new InstanceWatch(watcher, { checkEveryMs: 20, timeoutMs: 10, busyLimitMs: 150 });
    let lost = 0;
    const host = watch.watch(SUBJECT, () => lost++);
    expect(await host.state()).toBe("busy");
    await waitFor(() => lost === 1, 2000);
    expect(await host.state()).toBe("gone");
  });

  it("keeps a slow instance that answers now and then: an answer restarts the busy limit", async () => {
    await setUp(false);
    watch = new InstanceWatch(watcher, { checkEveryMs: 20, timeoutMs: 10, busyLimitMs: 150 });
    let lost = 0;
    watch.watch(SUBJECT, () => lost++);
    // A second subscriber that answers every fourth check: busy most of the time, never silent.
    let n = 0;
    realm.subscribe(SUBJECT, (m) => {
      if (++n % 4 === 0) m.respond(okEmpty());
    });
    await sleep(500);
    expect(lost).toBe(0);
  });

  it("finds an instance that died holding a check: the check times out (busy), the next one finds nobody", async () => {
    await setUp(false); // subscribed, never answers: the check is swallowed
    watch = new InstanceWatch(watcher, { checkEveryMs: 60_000, timeoutMs: 50, confirmMs: 60_000 });
    const host = watch.watch(SUBJECT, () => undefined);
    const first = host.state();
    instance.unsubscribe(); // the process dies with the check in its hands
    expect(await first).toBe("busy");
    expect(await host.state()).toBe("unreachable");
  });

  it("stops calling onLost, and stops asking, once every avatar is unwatched", async () => {
    await setUp();
    watch = new InstanceWatch(watcher, { checkEveryMs: 20, confirmMs: 20 });
    let lost = 0;
    watch.watch(SUBJECT, () => lost++).unwatch();
    expect(watch.instances).toBe(0);
    // The instance goes; a listener that never answers counts what is still asked after it.
    instance.unsubscribe();
    let askedAfter = 0;
    realm.subscribe(SUBJECT, () => void askedAfter++);
    await sleep(100);
    expect(lost).toBe(0);
    expect(askedAfter).toBe(0);
  });

  it.each([0, -5, Number.NaN])("refuses checkEveryMs and confirmMs of %s", async (ms) => {
    await setUp();
    expect(() => new InstanceWatch(watcher, { checkEveryMs: ms })).toThrow(RangeError);
    expect(() => new InstanceWatch(watcher, { confirmMs: ms })).toThrow(RangeError);
  });
});
