/** Builds the BenchContext one scenario runs with, and tears down what it started. */
import { spawnChild, spawnTsChild } from "./child-process.ts";
import type { ChildHandle } from "./child-process.ts";
import { IN_FLIGHT, profile, summarize } from "./measure.ts";
import type { Budget, InFlight, Measured } from "./measure.ts";
import type { BenchContext } from "./scenario.ts";

export interface ContextOptions {
  readonly natsUrl: string;
  readonly repoRoot: string;
  readonly budget: Budget;
  readonly log: (message: string) => void;
}

/** A context plus `dispose`, which runs every clean-up even when some of them throw. */
export function createContext(options: ContextOptions): { ctx: BenchContext; dispose(): Promise<void> } {
  const cleanups: Array<() => unknown> = [];
  const track = (child: ChildHandle): ChildHandle => {
    cleanups.push(() => child.stop());
    return child;
  };

  const ctx: BenchContext = {
    natsUrl: options.natsUrl,
    repoRoot: options.repoRoot,
    budget: options.budget,
    log: options.log,
    profile: (op) => profile(op, options.budget),
    profileRemote: (client) => profileRemote(client, options.budget),
    spawnTs: async (entry, args = []) =>
      track(await spawnTsChild(entry.replace(/^.*\//, ""), entry, args, options.repoRoot)),
    spawn: async (spec) => track(await spawnChild({ ...spec, cwd: spec.cwd ?? options.repoRoot })),
    onCleanup: (fn) => void cleanups.push(fn),
  };

  const dispose = async (): Promise<void> => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        options.log(`clean-up failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    cleanups.length = 0;
  };
  return { ctx, dispose };
}

/** Drives a client child through the same phases `profile` runs locally. */
async function profileRemote(client: ChildHandle, budget: Budget): Promise<Measured> {
  // The child bounds each phase itself; this margin only catches a wedged child.
  const margin = 30_000;
  const latency = budget.latency;
  const { samplesMs } = await client.call<{ samplesMs: number[] }>(
    "latency",
    { ...latency },
    (latency.warmupSeconds + latency.maxSeconds) * 1000 + margin,
  );
  const opsPerSec = {} as Record<InFlight, number>;
  for (const inFlight of IN_FLIGHT) {
    const phase = { ...budget.throughput, inFlight };
    const reply = await client.call<{ opsPerSec: number }>(
      "throughput",
      phase,
      (phase.warmupSeconds + phase.maxSeconds) * 1000 + margin,
    );
    opsPerSec[inFlight] = reply.opsPerSec;
  }
  return summarize([...samplesMs].sort((a, b) => a - b), opsPerSec);
}
