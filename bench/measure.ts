/** Timing primitives every scenario shares: sequential latency, percentiles, K-in-flight throughput. */

/** The in-flight levels every row reports throughput at (the table's columns). */
export const IN_FLIGHT = [1, 16, 128] as const;
export type InFlight = (typeof IN_FLIGHT)[number];

/** One operation under test; it must reject (never hang forever) when it fails. */
export type Op = () => Promise<unknown>;

export interface LatencyOptions {
  /** Operations run and thrown away first (JIT, connection set-up, caches), up to `warmupSeconds`. */
  readonly warmupOps: number;
  readonly warmupSeconds: number;
  /** Timed operations, one at a time, up to `maxSeconds`. */
  readonly samples: number;
  readonly maxSeconds: number;
}

export interface ThroughputOptions {
  /** How many operations are kept outstanding at once. */
  readonly inFlight: number;
  /** Time spent at the same level before counting, so the peer is warm for this load. */
  readonly warmupSeconds: number;
  /** The timed phase stops at whichever of these comes first. */
  readonly maxOps: number;
  readonly maxSeconds: number;
}

/** How long each scenario may spend; the defaults keep a full run near a minute and a half. */
export interface Budget {
  readonly latency: LatencyOptions;
  readonly throughput: Omit<ThroughputOptions, "inFlight">;
}

export const DEFAULT_BUDGET: Budget = {
  latency: { warmupOps: 3000, warmupSeconds: 3, samples: 3000, maxSeconds: 2.5 },
  throughput: { warmupSeconds: 0.3, maxOps: 200_000, maxSeconds: 1.5 },
};

/**
 * A shorter budget for the many-row groups added for issues 3 and 4 (checker cost, refusal
 * timing, challenges, notifications), so the whole `npm run bench` stays within a few minutes.
 * Every row of such a group, floor included, uses it, so the comparison stays like for like.
 */
export const QUICK_BUDGET: Budget = {
  latency: { warmupOps: 200, warmupSeconds: 0.4, samples: 1500, maxSeconds: 1.2 },
  throughput: { warmupSeconds: 0.2, maxOps: 100_000, maxSeconds: 0.8 },
};

/**
 * For rows whose operation takes tens of milliseconds (scrypt, bcrypt): fewer sequential samples,
 * and no throughput warm-up, because at 128 in flight every phase also waits for 128 operations
 * to drain after its clock stops.
 */
export const SLOW_OP_BUDGET: Budget = {
  latency: { warmupOps: 5, warmupSeconds: 0.2, samples: 100, maxSeconds: 0.8 },
  throughput: { warmupSeconds: 0, maxOps: 100_000, maxSeconds: 0.8 },
};

/** What a measured row reports: sequential median and p99, and ops/s at each in-flight level. */
export interface Measured {
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** How many sequential samples the percentiles come from. */
  readonly samples: number;
  readonly opsPerSec: Readonly<Record<InFlight, number>>;
}

/**
 * Extra time granted past a phase's own limit before declaring it stalled: an op
 * already started may legitimately take up to its own timeout to settle.
 */
const STALL_GRACE_MS = 15_000;

/** Nearest-rank percentile of an ascending array; rejects nothing, returns NaN when empty. */
export function percentile(sortedAscending: readonly number[], p: number): number {
  if (sortedAscending.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sortedAscending.length);
  const index = Math.min(sortedAscending.length - 1, Math.max(0, rank - 1));
  return sortedAscending[index] as number;
}

/**
 * Runs `op` one at a time and returns the durations in ms, ascending.
 * Rejects with the op's first error, or when the phase stalls well past `maxSeconds`.
 */
export async function sampleLatency(op: Op, options: LatencyOptions): Promise<number[]> {
  const limitMs = (options.warmupSeconds + options.maxSeconds) * 1000 + STALL_GRACE_MS;
  return withDeadline(sequential(op, options), limitMs, "sequential latency");
}

async function sequential(op: Op, options: LatencyOptions): Promise<number[]> {
  const warmupEnd = performance.now() + options.warmupSeconds * 1000;
  for (let i = 0; i < options.warmupOps && performance.now() < warmupEnd; i++) await op();
  const samples: number[] = [];
  const deadline = performance.now() + options.maxSeconds * 1000;
  while (samples.length < options.samples) {
    const started = performance.now();
    await op();
    const ended = performance.now();
    samples.push(ended - started);
    if (ended > deadline) break;
  }
  return samples.sort((a, b) => a - b);
}

/**
 * Runs `floor` and `op` alternately, one at a time, and returns each one's durations (ms,
 * ascending). Both see the same moments of the machine, so their p50 ratio does not move with
 * what the VM does between two scenarios (the floor alone measured 46k and 79k requests/s on one
 * day here).
 */
export async function sampleInterleaved(floor: Op, op: Op, options: LatencyOptions): Promise<{ floor: number[]; op: number[] }> {
  const limitMs = (options.warmupSeconds + options.maxSeconds) * 2000 + STALL_GRACE_MS;
  const run = async () => {
    const warmupEnd = performance.now() + options.warmupSeconds * 1000;
    for (let i = 0; i < options.warmupOps && performance.now() < warmupEnd; i++) {
      await floor();
      await op();
    }
    const floors: number[] = [];
    const ops: number[] = [];
    const deadline = performance.now() + options.maxSeconds * 2000;
    while (ops.length < options.samples && performance.now() < deadline) {
      let started = performance.now();
      await floor();
      floors.push(performance.now() - started);
      started = performance.now();
      await op();
      ops.push(performance.now() - started);
    }
    return { floor: floors.sort((a, b) => a - b), op: ops.sort((a, b) => a - b) };
  };
  return withDeadline(run(), limitMs, "interleaved latency");
}

/**
 * Keeps `inFlight` operations outstanding and returns completed ops per second.
 * Rejects with the first op error (the other workers stop starting new ops), or when
 * the phase stalls well past `maxSeconds`.
 */
export async function throughput(op: Op, options: ThroughputOptions): Promise<number> {
  if (options.warmupSeconds > 0) {
    await drive(op, options.inFlight, Number.POSITIVE_INFINITY, options.warmupSeconds);
  }
  const { completed, seconds } = await drive(op, options.inFlight, options.maxOps, options.maxSeconds);
  return completed / seconds;
}

async function drive(
  op: Op,
  inFlight: number,
  maxOps: number,
  maxSeconds: number,
): Promise<{ completed: number; seconds: number }> {
  const start = performance.now();
  const deadline = start + maxSeconds * 1000;
  let started = 0;
  let completed = 0;
  let failure: { error: unknown } | undefined;
  // Each worker starts its next op only when its previous one settled, so exactly
  // `inFlight` are outstanding until the count or the clock runs out.
  const worker = async (): Promise<void> => {
    while (failure === undefined && started < maxOps && performance.now() < deadline) {
      started++;
      try {
        await op();
        completed++;
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = Array.from({ length: inFlight }, worker);
  await withDeadline(Promise.all(workers), maxSeconds * 1000 + STALL_GRACE_MS, `throughput @${inFlight}`);
  if (failure !== undefined) throw failure.error;
  return { completed, seconds: (performance.now() - start) / 1000 };
}

/** Sequential latency, then throughput at every `IN_FLIGHT` level, all in this process. */
export async function profile(op: Op, budget: Budget): Promise<Measured> {
  const sorted = await sampleLatency(op, budget.latency);
  const opsPerSec = {} as Record<InFlight, number>;
  for (const inFlight of IN_FLIGHT) {
    opsPerSec[inFlight] = await throughput(op, { ...budget.throughput, inFlight });
  }
  return summarize(sorted, opsPerSec);
}

/** Builds a `Measured` from ascending samples (ms) and the throughput per level. */
export function summarize(sortedAscending: readonly number[], opsPerSec: Record<InFlight, number>): Measured {
  return {
    p50Ms: percentile(sortedAscending, 50),
    p99Ms: percentile(sortedAscending, 99),
    samples: sortedAscending.length,
    opsPerSec,
  };
}

/** Settles like `promise`, or rejects with a "stalled" error after `ms`. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} stalled: nothing settled within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, stalled]);
  } finally {
    clearTimeout(timer);
  }
}
