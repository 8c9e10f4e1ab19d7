/** Chooses the rate limiter for a portal process: shared JetStream KV counts over NATS, memory otherwise (or without JetStream). */
import { LocalUntilSharedRateLimiter, MemoryRateLimiter, openKvRateLimiter, type RateLimiter } from "../actors/index.ts";
import type { Bus, NatsBus } from "../transports/index.ts";
import { UsageError } from "./usage-error.ts";

/** `--rate-limit`: `off`, or the refusals per account before backoff starts (default 10). */
export function parseRateLimit(text: string | undefined): { threshold: number } | null | undefined {
  if (text === undefined) return undefined;
  if (text === "off") return null;
  const threshold = Number(text);
  if (!Number.isInteger(threshold) || threshold < 1) throw new UsageError("--rate-limit must be off or an integer ≥ 1");
  return { threshold };
}

/**
 * Over NATS every portal counts in one KV bucket (compare-and-set, so two portals cannot lose
 * counts); on the in-process bus there is only one portal, so memory is enough. `null`: off.
 */
export async function rateLimiterFor(
  bus: Bus,
  kind: "nats" | "in-process",
  setting: { threshold: number } | null | undefined,
  prefix = "cred",
  warn: (message: string) => void = () => undefined,
  /** Without JetStream at start, how often to try again (a connection's return tries at once too). */
  retryEveryMs?: number,
): Promise<RateLimiter | null> {
  if (setting === null) return null;
  const options = setting === undefined ? {} : { account: { threshold: setting.threshold } };
  if (kind === "in-process") return new MemoryRateLimiter(options);
  // One bucket per prefix: deployments sharing a NATS account keep their counts apart.
  const openShared = () =>
    openKvRateLimiter(bus as NatsBus, {
      ...options,
      bucket: `portcullis_rate_limit_${prefix.replace(/[^A-Za-z0-9_-]/g, "_")}`,
      mirror: {
        onStopped: (reason) => warn(`the rate limiter's local copy of its bucket stopped (${reason}): login checks read JetStream meanwhile`),
        onResumed: () => warn("the rate limiter's local copy of its bucket is loaded again: login checks read it"),
      },
    });
  try {
    return await openShared();
  } catch (error) {
    if ((error as Error).name !== "JetStreamNotEnabled") throw error;
    // Still limited, per process: refusing to start would leave no portal at all, and a plain
    // `nats-server` is what most people try first. Several portals then each allow the threshold,
    // until JetStream is there: then this one counts in the shared bucket too.
    warn(
      "the NATS server has no JetStream: rate-limit counts are kept in this process only, so each portal " +
        "allows the threshold on its own, until JetStream is there; start nats-server with -js (or -c nats.conf) to share them",
    );
    return new LocalUntilSharedRateLimiter(new MemoryRateLimiter(options), openShared, {
      bus,
      ...(retryEveryMs === undefined ? {} : { retryEveryMs }),
      onShared: () => warn("the NATS server has JetStream now: rate-limit counts are shared with the other portals from here on"),
    });
  }
}
