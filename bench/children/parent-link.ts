/** The child side of the bench line protocol (see ../child-process.ts) for TypeScript peers. */
import { createInterface } from "node:readline";
import { sampleLatency, throughput } from "../measure.ts";
import type { LatencyOptions, Op, ThroughputOptions } from "../measure.ts";

export type CommandHandler = (args: Record<string, unknown>) => Promise<Record<string, unknown>>;

export interface ParentLink {
  /** Announced to the parent once everything is listening/connected. */
  readonly ready: Record<string, unknown>;
  readonly commands?: Readonly<Record<string, CommandHandler>>;
  /** Runs when the parent closes stdin (or dies); the process exits right after. */
  close(): Promise<void>;
}

/** Prints the ready line, answers commands, and exits when the parent goes away. */
export function linkToParent(link: ParentLink): void {
  const send = (message: Record<string, unknown>): void => {
    process.stdout.write(`${JSON.stringify(message)}\n`);
  };
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on("line", (line) => {
    const { id, cmd, ...args } = JSON.parse(line) as Record<string, unknown>;
    const handler = typeof cmd === "string" ? link.commands?.[cmd] : undefined;
    if (handler === undefined) {
      send({ type: "error", id, message: `unknown command ${String(cmd)}` });
      return;
    }
    handler(args).then(
      (result) => send({ ...result, type: "reply", id }),
      (error: unknown) => send({ type: "error", id, message: error instanceof Error ? error.message : String(error) }),
    );
  });
  lines.on("close", () => {
    const exit = (code: number) => process.exit(code);
    link.close().then(() => exit(0), () => exit(1));
  });
  send({ ...link.ready, type: "ready" });
}

/**
 * The `latency` and `throughput` commands a client child answers so the bench can
 * drive it with `profileRemote`: the same timing code, run next to the client.
 */
export function driverCommands(op: Op): Record<string, CommandHandler> {
  return {
    latency: async (args) => ({ samplesMs: await sampleLatency(op, args as unknown as LatencyOptions) }),
    throughput: async (args) => ({ opsPerSec: await throughput(op, args as unknown as ThroughputOptions) }),
  };
}
