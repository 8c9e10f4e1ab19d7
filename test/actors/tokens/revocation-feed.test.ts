/** Revocation messages: what is taken, what is refused, and who hears them. */
import { describe, expect, it } from "vitest";
import { followRevocations, TOKEN_REVOCATIONS, type Revocation } from "../../../actors/index.ts";
import { readRevocation } from "../../../actors/tokens/revocation-feed.ts";
import { BadRequest } from "../../../actors/errors.ts";
import { RevocationList } from "../../../actors/tokens/revocation-list.ts";
import { createInProcessBus } from "../../../transports/index.ts";
import { sleep, waitFor } from "../../support/wire.ts";

const bytes = (value: unknown) => new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value));

describe("token revocation messages", () => {
  it("reads ms since the epoch, and JWT seconds as ms (a revocation in seconds would otherwise lapse in 1970)", () => {
    expect(readRevocation(bytes({ jti: "abc", expiresAt: 1_900_000_000_000 }))).toEqual({ jti: "abc", expiresAt: 1_900_000_000_000 });
    expect(readRevocation(bytes({ jti: "abc", expiresAt: 1_900_000_000 }))).toEqual({ jti: "abc", expiresAt: 1_900_000_000_000 });
  });

  it.each([
    ["non-JSON", "nope"],
    ["an array", [1]],
    ["no jti", { expiresAt: 1 }],
    ["an empty jti", { jti: "", expiresAt: 1 }],
    ["a 257-character jti", { jti: "x".repeat(257), expiresAt: 1 }],
    ["a string expiresAt", { jti: "abc", expiresAt: "1" }],
    ["a negative expiresAt", { jti: "abc", expiresAt: -5 }],
  ])("refuses %s with BadRequest", (_, body) => {
    expect(() => readRevocation(bytes(body))).toThrow(BadRequest);
  });

  it("hears the bus-wide subject and its own prefix's, answers a request ok or BadRequest, and keeps hearing after garbage", async () => {
    const bus = createInProcessBus();
    const heard: Revocation[] = [];
    const unfollow = followRevocations(bus, "game", (r) => heard.push(r));
    const ask = async (subject: string, body: unknown) => JSON.parse(new TextDecoder().decode(await bus.request(subject, bytes(body), { timeoutMs: 1000 })));
    expect(await ask("game.tokens.revoke", "garbage")).toMatchObject({ ok: false, error: { code: "BadRequest" } });
    expect(await ask("game.tokens.revoke", { jti: "one", expiresAt: 2e12 })).toEqual({ ok: true });
    bus.publish(TOKEN_REVOCATIONS, bytes({ jti: "two", expiresAt: 2e12 }));
    bus.publish("other.tokens.revoke", bytes({ jti: "three", expiresAt: 2e12 }));
    await bus.flush();
    expect(heard.map((r) => r.jti)).toEqual(["one", "two"]);
    unfollow();
    await bus.close();
  });

  it("hears and answers each revocation once under the prefix `portcullis`, whose own subject is the bus-wide one", async () => {
    const bus = createInProcessBus();
    const heard: Revocation[] = [];
    const unfollow = followRevocations(bus, "portcullis", (r) => heard.push(r));
    const inbox = bus.inbox();
    const answers: unknown[] = [];
    bus.subscribe(inbox, (m) => void answers.push(JSON.parse(new TextDecoder().decode(m.data))));
    bus.publish(TOKEN_REVOCATIONS, bytes({ jti: "one", expiresAt: 2e12 }), { reply: inbox });
    await waitFor(() => answers.length > 0);
    // A second answer, had there been one, comes in the same turn as the first.
    await sleep(20);
    expect(heard.map((r) => r.jti)).toEqual(["one"]);
    expect(answers).toEqual([{ ok: true }]);
    unfollow();
    await bus.close();
  });
});

describe("RevocationList", () => {
  it("sweeps expired entries at most once a minute, so a flood of revocations costs each one O(1), and still refuses only live ones", () => {
    let now = 1_000_000;
    const list = new RevocationList(() => now, 1_000);
    list.revoke("first", now + 10);
    for (let i = 0; i < 1000; i++) list.revoke(`flood-${i}`, now + 10);
    now += 1_020; // every entry so far has expired (kept keepMs, past its expiresAt)
    list.revoke("fresh", now + 60_000);
    // Not swept yet (one sweep ran at the first revocation, under a minute ago) …
    expect(list.size).toBe(1002);
    // … but an expired entry no longer refuses anything.
    expect(list.isRevoked("first")).toBe(false);
    expect(list.isRevoked("fresh")).toBe(true);
    now += 60_000;
    list.revoke("later", now + 1000);
    // The sweep dropped the expired ones (and "fresh", whose minute ended just now).
    expect(list.size).toBe(1);
    expect(list.isRevoked("later")).toBe(true);
  });

  it("keeps a revoked id keepMs at least, whatever earlier expiresAt the revocation named, and a later one until then", () => {
    let now = 1_000_000;
    const list = new RevocationList(() => now, 5_000);
    list.revoke("sent-now", now);
    list.revoke("sent-in-the-past", now - 60_000);
    list.revoke("long", now + 20_000);
    now += 4_999;
    expect(["sent-now", "sent-in-the-past", "long"].map((jti) => list.isRevoked(jti))).toEqual([true, true, true]);
    now += 1;
    expect(["sent-now", "sent-in-the-past", "long"].map((jti) => list.isRevoked(jti))).toEqual([false, false, true]);
    // A second revocation of an id never shortens its entry.
    list.revoke("long", now);
    now += 14_999;
    expect(list.isRevoked("long")).toBe(true);
    now += 1;
    expect(list.isRevoked("long")).toBe(false);
  });
});
