/** Chooses the rate limiter for a portal process: shared JetStream KV counts over NATS, memory otherwise. */
import { MemoryRateLimiter, openKvRateLimiter, type RateLimiter } from "../actors/index.ts";
import type { Bus, NatsBus } from "../transports/index.ts";

/**
 * Over NATS every portal counts in one KV bucket (compare-and-set, so two portals cannot lose
 * counts); on the in-process bus there is only one portal, so memory is enough.
 */
export async function rateLimiterFor(bus: Bus, kind: "nats" | "in-process"): Promise<RateLimiter> {
  return kind === "nats" ? openKvRateLimiter(bus as NatsBus) : new MemoryRateLimiter();
}
