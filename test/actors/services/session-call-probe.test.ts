/** SessionCallProbe (actors/services/session-call-probe.ts): finding a dead realm that named no instance through its sessions' call subject, without taking a slow one for dead. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SessionCallProbe } from "../../../actors/services/session-call-probe.ts";
import { encode } from "../../../actors/wire/codec.ts";
import type { Bus, BusSubscription } from "../../../transports/bus.ts";
import { InProcessNetwork } from "../../../transports/index.ts";
import { sleep, waitFor } from "../../support/wire.ts";

const CALL = "cred.session.AAAAAAAAAAAAAAAAAAAAAA.call";

describe("SessionCallProbe", () => {
  let portal: Bus;
  let realm: Bus;
  let probes: number;
  let serving: BusSubscription | undefined;

  /** The realm process: answers every probe with BadRequest, as PROTOCOL.md asks of a call without a method. */
  function serve(): void {
    serving = realm.subscribe(CALL, (m) => {
      probes++;
      m.respond(encode({ ok: false, error: { code: "BadRequest", message: "method: required" } }));
    });
  }

  beforeEach(() => {
    const network = new InProcessNetwork();
    portal = network.connect();
    realm = network.connect();
    probes = 0;
    serving = undefined;
  });
  afterEach(async () => {
    await portal.close();
    await realm.close();
  });

  it("sends no probe for a session that makes no call", async () => {
    serve();
    const probe = new SessionCallProbe(portal, { timeoutMs: 50, freshMs: 50, goneAfterMs: 200 });
    let lost = false;
    probe.watch(CALL, () => (lost = true));
    await sleep(400);
    expect(probes).toBe(0);
    expect(lost).toBe(false);
  });

  it("follows calls with at most one probe per freshMs while the realm answers, and one after the last call", async () => {
    serve();
    const probe = new SessionCallProbe(portal, { timeoutMs: 100, freshMs: 100, goneAfterMs: 300 });
    const host = probe.watch(CALL, () => undefined);
    const started = performance.now();
    while (performance.now() - started < 450) {
      expect(await host.state()).toBe("alive");
      await sleep(5);
    }
    await sleep(150);
    // About one per 100 ms over ~450 ms, plus the one after the last call: never one per call (~80).
    expect(probes).toBeGreaterThanOrEqual(4);
    expect(probes).toBeLessThanOrEqual(7);
    expect(host.known()).toBe("alive");
  });

  it("finds the realm gone after goneAfterMs of unanswered probes, running them back to back after one call", async () => {
    serve();
    const probe = new SessionCallProbe(portal, { timeoutMs: 50, freshMs: 1_000, goneAfterMs: 300 });
    let lostAt: number | undefined;
    const host = probe.watch(CALL, () => (lostAt = performance.now()));
    await host.state();
    await waitFor(() => probes === 1, 1000);
    // The realm dies; the next call comes while its last answer is fresh.
    serving!.unsubscribe();
    const diedAt = performance.now();
    expect(await host.state()).toBe("alive");
    await waitFor(() => lostAt !== undefined, 3000);
    // Not before freshMs (the follow-up probe) plus goneAfterMs of silence.
    expect(lostAt! - diedAt).toBeGreaterThanOrEqual(1_000 + 300 - 100);
    expect(host.known()).toBe("gone");
    expect(await host.state()).toBe("gone");
  });

  it("does not take for gone a realm that answers again within goneAfterMs", async () => {
    const probe = new SessionCallProbe(portal, { timeoutMs: 50, freshMs: 50, goneAfterMs: 400 });
    let lost = false;
    const host = probe.watch(CALL, () => (lost = true));
    // Nobody answers the first probes (the realm is stalled): busy, not gone.
    expect(await host.state()).toBe("alive");
    await sleep(120);
    expect(await host.state()).toBe("busy");
    serve();
    await waitFor(() => probes > 0, 1000);
    await sleep(600);
    expect(lost).toBe(false);
    expect(await host.state()).toBe("alive");
  });

  it("sends at most one probe per timeoutMs while nobody answers, even when a no-responders answer (the in-process bus's, as NATS's) comes back at once", async () => {
    // Nobody subscribes CALL here, so each probe gets an immediate no-responders status.
    let sent = 0;
    const counting = {
      request: portal.request.bind(portal),
      subscribe: portal.subscribe.bind(portal),
      inbox: portal.inbox.bind(portal),
      flush: portal.flush.bind(portal),
      publish: (subject: string, data: Uint8Array, options?: { readonly reply?: string }) => {
        if (subject === CALL) sent++;
        portal.publish(subject, data, options);
      },
    } as unknown as Bus;
    const probe = new SessionCallProbe(counting, { timeoutMs: 100, freshMs: 100, goneAfterMs: 550 });
    let lost = false;
    const host = probe.watch(CALL, () => (lost = true));
    await host.state();
    await waitFor(() => lost, 2000);
    // About goneAfterMs / timeoutMs probes, not thousands.
    expect(sent).toBeGreaterThanOrEqual(5);
    expect(sent).toBeLessThanOrEqual(8);
  });

  it("takes an answer that comes after the probe's timeout as a sign of life: a realm slower than timeoutMs is never found gone", async () => {
    serving = realm.subscribe(CALL, (m) => {
      probes++;
      setTimeout(() => {
        try {
          m.respond(encode({ ok: false, error: { code: "BadRequest", message: "method: required" } }));
        } catch {
          // The test is over and its buses closed when the last late answer is due.
        }
      }, 150);
    });
    const probe = new SessionCallProbe(portal, { timeoutMs: 100, freshMs: 100, goneAfterMs: 400 });
    let lost = false;
    const host = probe.watch(CALL, () => (lost = true));
    const started = performance.now();
    while (performance.now() - started < 1_200) {
      await host.state();
      await sleep(50);
    }
    expect(probes).toBeGreaterThan(4);
    expect(lost).toBe(false);
  });

  it("asks after a session that only pings, but only when nothing was asked for goneAfterMs", async () => {
    serve();
    const probe = new SessionCallProbe(portal, { timeoutMs: 50, freshMs: 50, goneAfterMs: 300 });
    const host = probe.watch(CALL, () => undefined);
    host.pinged();
    await waitFor(() => probes === 1, 1000);
    for (let i = 0; i < 10; i++) {
      host.pinged();
      await sleep(10);
    }
    expect(probes).toBe(1);
    await sleep(300);
    host.pinged();
    await waitFor(() => probes === 2, 1000);
  });

  it("finds the realm gone after unservedConfirmMs, long before goneAfterMs, when no process serves the realm at all", async () => {
    serve();
    let dead = false;
    let asked = 0;
    const probe = new SessionCallProbe(portal, { timeoutMs: 50, freshMs: 50, goneAfterMs: 20_000, unservedConfirmMs: 200 }, async () => {
      asked++;
      return dead;
    });
    let lostAt: number | undefined;
    const host = probe.watch(CALL, () => (lostAt = performance.now()));
    expect(await host.state()).toBe("alive");
    await waitFor(() => probes === 1, 1000);
    asked = 0;
    serving!.unsubscribe();
    dead = true;
    const diedAt = performance.now();
    await host.state();
    await waitFor(() => lostAt !== undefined, 2_000);
    expect(lostAt! - diedAt).toBeGreaterThanOrEqual(200);
    expect(lostAt! - diedAt).toBeLessThan(1_000);
    expect(asked).toBeGreaterThanOrEqual(2);
    expect(host.known()).toBe("gone");
  });

  it("does not take a realm that died just after answering a probe for one that stopped taking logins", async () => {
    serve();
    const probe = new SessionCallProbe(portal, { timeoutMs: 50, freshMs: 50, goneAfterMs: 20_000, unservedConfirmMs: 200 }, async () => {
      // The realm dies between its answer and this question.
      serving?.unsubscribe();
      return true;
    });
    let lost = false;
    const host = probe.watch(CALL, () => (lost = true));
    await host.state();
    await waitFor(() => probes === 1, 1_000);
    await host.state();
    await waitFor(() => lost, 2_000);
  });

  it("waits goneAfterMs while another process still serves the realm: the silent one may be busy or stopped", async () => {
    const probe = new SessionCallProbe(portal, { timeoutMs: 50, freshMs: 50, goneAfterMs: 600, unservedConfirmMs: 100 }, async () => false);
    let lostAt: number | undefined;
    const started = performance.now();
    const host = probe.watch(CALL, () => (lostAt = performance.now()));
    await host.state();
    await sleep(400);
    expect(lostAt).toBeUndefined();
    await waitFor(() => lostAt !== undefined, 2_000);
    expect(lostAt! - started).toBeGreaterThanOrEqual(600);
  });

  it("does not take for gone a realm served again within unservedConfirmMs (back from a reconnect of its own)", async () => {
    let unservedUntil = performance.now() + 150;
    const probe = new SessionCallProbe(portal, { timeoutMs: 50, freshMs: 50, goneAfterMs: 5_000, unservedConfirmMs: 300 }, async () => performance.now() < unservedUntil);
    let lost = false;
    const host = probe.watch(CALL, () => (lost = true));
    await host.state();
    await sleep(600);
    expect(lost).toBe(false);
    // Unserved again later: the confirmation starts over, and holds this time.
    unservedUntil = Number.POSITIVE_INFINITY;
    await waitFor(() => lost, 2_000);
  });

  it("keeps a realm that stopped taking logins but answers the probes, and through a later stall waits goneAfterMs for it", async () => {
    // An outside probe: a realm that unsubscribed `avatar`, keeping its sessions, then stopped for
    // 10 s lost its calling sessions 8.6 s into the stall.
    serve();
    let asked = 0;
    const probe = new SessionCallProbe(portal, { timeoutMs: 50, freshMs: 30, goneAfterMs: 1_000, unservedConfirmMs: 100 }, async () => {
      asked++;
      return true;
    });
    let lostAt: number | undefined;
    const host = probe.watch(CALL, () => (lostAt = performance.now()));
    const started = performance.now();
    while (performance.now() - started < 300) {
      await host.state();
      await sleep(20);
    }
    expect(probes).toBeGreaterThan(3);
    expect(lostAt).toBeUndefined();
    // Asked after answers now and then (at most once per freshMs), not after every one.
    expect(asked).toBeGreaterThan(0);
    expect(asked).toBeLessThanOrEqual(probes);
    // It stalls: answering nothing, still not served.
    serving!.unsubscribe();
    const stalledAt = performance.now();
    await host.state();
    await sleep(500);
    expect(lostAt).toBeUndefined();
    await waitFor(() => lostAt !== undefined, 2_000);
    expect(lostAt! - stalledAt).toBeGreaterThanOrEqual(1_000 - 50);
  });

  it("stops probing a session that is unwatched (it ended)", async () => {
    const probe = new SessionCallProbe(portal, { timeoutMs: 30, freshMs: 30, goneAfterMs: 200 });
    let lost = false;
    const host = probe.watch(CALL, () => (lost = true));
    await host.state();
    await sleep(50);
    host.unwatch();
    serve();
    await sleep(400);
    expect(lost).toBe(false);
    expect(probes).toBe(0);
  });

  it("tells its own probes from clients' calls by their reply subject", () => {
    const probe = new SessionCallProbe(portal);
    const other = new SessionCallProbe(portal);
    expect(probe.isProbe(portal.inbox())).toBe(false);
    expect(probe.isProbe(undefined)).toBe(false);
    // Another portal's (or RemoteRealm's) probes are ordinary calls to this one.
    let sent: string | undefined;
    const sub = portal.subscribe(CALL, (m) => void (sent = m.reply));
    void other.watch(CALL, () => undefined).state();
    return waitFor(() => sent !== undefined, 1000).then(() => {
      sub.unsubscribe();
      expect(other.isProbe(sent)).toBe(true);
      expect(probe.isProbe(sent)).toBe(false);
    });
  });
});
