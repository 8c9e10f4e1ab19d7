/** ReleaseRetries (actors/services/release-retries.ts): a release nobody answered is sent again, until answered, refused by NATS as unheard, or out of delays. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ReleaseRetries } from "../../../actors/services/release-retries.ts";
import { subjectsFor } from "../../../actors/wire/subjects.ts";
import { encode } from "../../../actors/wire/codec.ts";
import type { Bus } from "../../../transports/bus.ts";
import { InProcessNetwork } from "../../../transports/index.ts";
import { sleep, waitFor } from "../../support/wire.ts";

const SESSION = "AAAAAAAAAAAAAAAAAAAAAA";
const RELEASE = `cred.session.${SESSION}.release`;

describe("ReleaseRetries", () => {
  let portal: Bus;
  let realm: Bus;

  beforeEach(() => {
    const network = new InProcessNetwork();
    portal = network.connect();
    realm = network.connect();
  });
  afterEach(async () => {
    await portal.close();
    await realm.close();
  });

  it("sends the release again after each delay while nobody answers it, and stops once the realm answers", async () => {
    let heard = 0;
    // Subscribed but silent at first (a realm process that missed the order, or a lingering subscription).
    realm.subscribe(RELEASE, (m) => {
      heard++;
      if (heard === 3) m.respond(encode({ ok: true }));
    });
    const retries = new ReleaseRetries(portal, subjectsFor("cred"), { delaysMs: [20, 20, 20, 20, 20, 20], timeoutMs: 50 });
    retries.unanswered(SESSION);
    retries.unanswered(SESSION); // once per session at a time
    await waitFor(() => heard === 3, 2_000);
    await waitFor(() => retries.pending === 0, 1_000);
    await sleep(200);
    expect(heard).toBe(3);
    expect(retries.sent).toBe(3);
  });

  it("stops at a no-responders answer (the in-process bus's, as NATS's): nobody holds the session any more", async () => {
    const retries = new ReleaseRetries(portal, subjectsFor("cred"), { delaysMs: [10, 10, 10, 10], timeoutMs: 1_000 });
    retries.unanswered(SESSION);
    await waitFor(() => retries.pending === 0, 1_000);
    expect(retries.sent).toBe(1);
  });

  it("gives up once its delays run out", async () => {
    let heard = 0;
    realm.subscribe(RELEASE, () => void heard++);
    const retries = new ReleaseRetries(portal, subjectsFor("cred"), { delaysMs: [10, 10], timeoutMs: 30 });
    retries.unanswered(SESSION);
    await waitFor(() => retries.pending === 0, 1_000);
    await sleep(100);
    expect(heard).toBe(2);
  });

  it("tells its own copies from anyone else's requests by their reply subject", async () => {
    let reply: string | undefined;
    realm.subscribe(RELEASE, (m) => void (reply = m.reply));
    const retries = new ReleaseRetries(portal, subjectsFor("cred"), { delaysMs: [0], timeoutMs: 1_000 });
    const other = new ReleaseRetries(portal, subjectsFor("cred"));
    retries.unanswered(SESSION);
    await waitFor(() => reply !== undefined, 1_000);
    expect(retries.isRetry(reply)).toBe(true);
    expect(other.isRetry(reply)).toBe(false);
    expect(retries.isRetry(portal.inbox())).toBe(false);
    expect(retries.isRetry(undefined)).toBe(false);
    retries.close();
  });

  it("stops quietly once its bus is closed (the portal stopped)", async () => {
    const retries = new ReleaseRetries(portal, subjectsFor("cred"), { delaysMs: [30, 30], timeoutMs: 1_000 });
    retries.unanswered(SESSION);
    await portal.close();
    await waitFor(() => retries.pending === 0, 1_000);
    expect(retries.sent).toBe(0);
  });

  it("refuses delays and timeouts that are not durations", () => {
    expect(() => new ReleaseRetries(portal, subjectsFor("cred"), { delaysMs: [-1] })).toThrow(RangeError);
    expect(() => new ReleaseRetries(portal, subjectsFor("cred"), { timeoutMs: 0 })).toThrow(RangeError);
  });
});
