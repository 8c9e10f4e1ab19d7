/**
 * A portal started while nats-server had no JetStream counts refusals in its own process; once the
 * server has JetStream, it moves to the shared bucket (an outside probe: such a portal counted
 * alone until restarted, and let 19 guesses through where the threshold was 10).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { LocalUntilSharedRateLimiter, openKvRateLimiter } from "../../actors/index.ts";
import { rateLimiterFor } from "../../app/rate-limiter.ts";
import { connectNatsBus } from "../../transports/index.ts";
import { startNatsServer } from "../support/nats-server.ts";
import { waitFor } from "../support/wire.ts";

it("moves a portal's rate limiter from its own counts to the shared JetStream bucket once nats-server has JetStream, keeping what it counted alone", async () => {
  const dir = mkdtempSync(join(tmpdir(), "portcullis-js-later-"));
  writeFileSync(join(dir, "plain.conf"), "max_payload: 2MB\n");
  let server = await startNatsServer({ config: join(dir, "plain.conf"), jetstream: false });
  const bus = await connectNatsBus({ servers: server.url });
  const warnings: string[] = [];
  try {
    const limiter = await rateLimiterFor(bus, "nats", { threshold: 3 }, "later", (m) => void warnings.push(m), 200);
    expect(limiter).toBeInstanceOf(LocalUntilSharedRateLimiter);
    expect(warnings.join("\n")).toContain("no JetStream");
    // Counted alone meanwhile: bob reaches the threshold here.
    for (let i = 0; i < 3; i++) await limiter!.failed({ account: "bob" });
    expect(await limiter!.check({ account: "bob" })).toBeGreaterThan(0);

    // The same server back with JetStream, on the same port: the connection returns.
    await server.stop();
    server = await startNatsServer({ port: server.port });
    await waitFor(() => (limiter as LocalUntilSharedRateLimiter).shared, 10_000);
    expect(warnings.at(-1)).toContain("shared with the other portals");

    // Another portal's limiter on the same bucket: each sees what the other counted.
    const other = await connectNatsBus({ servers: server.url });
    try {
      const elsewhere = await openKvRateLimiter(other, { account: { threshold: 3 }, bucket: "portcullis_rate_limit_later", mirror: false });
      for (let i = 0; i < 3; i++) await elsewhere.failed({ account: "alice" });
      expect(await limiter!.check({ account: "alice" })).toBeGreaterThan(0);
      for (let i = 0; i < 3; i++) await limiter!.failed({ account: "carol" });
      expect(await elsewhere.check({ account: "carol" })).toBeGreaterThan(0);
      // What it counted alone still adds up: bob's fourth refusal is limited here, though the
      // bucket has only that one (the waits of the first three have run out by now).
      await limiter!.failed({ account: "bob" });
      expect(await elsewhere.check({ account: "bob" })).toBe(0);
      expect(await limiter!.check({ account: "bob" })).toBeGreaterThan(0);
      await limiter!.succeeded({ account: "bob" });
      expect(await limiter!.check({ account: "bob" })).toBe(0);
    } finally {
      await other.close();
    }
  } finally {
    await bus.close();
    await server.stop();
  }
}, 30_000);
