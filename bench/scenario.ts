/** The contract every benchmark scenario implements, and the context the runner hands it. */
import type { ChildHandle, ChildSpec } from "./child-process.ts";
import type { Budget, Measured, Op } from "./measure.ts";

/**
 * The comparisons the table makes. Each group has one floor scenario (the best any
 * implementation could do over the same hops) and the rows measured against it.
 */
export const GROUP = {
  /** One request/reply between two processes: the cost of a hop. */
  roundTrip: "NATS round trip",
  /** A login: portal → checker → realm, each in its own process; Twisted PB as the peer. */
  login: "login",
  /** Logins through a hashing checker beside the raw cost of its KDF (issue 3): one group per algorithm. */
  argon2id: "checker cost: argon2id",
  scrypt: "checker cost: scrypt",
  bcrypt: "checker cost: bcrypt",
  /** Refusals: an unknown user beside a wrong password (the floor), which must cost the same. */
  refusalArgon2id: "refusal timing: argon2id",
  refusalMemory: "refusal timing: in-memory",
  /** Challenge-response logins (two round trips) beside a plain password login on the same checker. */
  challenge: "challenge login",
  /** Mind notifications delivered to a subscriber beside the same hops in raw NATS. */
  notify: "Mind notification",
  /** Heap per live session in one process (issue 4) beside a bare xstate actor and a bare NATS subscription. */
  sessions: "sessions at scale",
} as const;
export type Group = (typeof GROUP)[keyof typeof GROUP];

export interface MeasuredRow extends Measured {
  readonly label: string;
  /** Printed under the table (versions, how many connections, what a hop means here). */
  readonly note?: string;
  /** Also print, under the table, this row's p99 ÷ its floor's p99 (refusal timing). */
  readonly compareP99?: boolean;
}

/** A row that could not be measured here, with what to do about it. */
export interface SkippedRow {
  readonly label: string;
  readonly skipped: string;
  readonly note?: string;
}

/**
 * A row that is not a timing (bytes per session…): `value` is shown in the scenario cell and
 * `versus` in the last column; the timing cells stay empty.
 */
export interface ValueRow {
  readonly label: string;
  readonly value: string;
  readonly versus?: string;
  readonly note?: string;
}

export type BenchRow = MeasuredRow | SkippedRow | ValueRow;

export interface Scenario {
  /** Unique; what `--only` matches. Kebab-case, like the file. */
  readonly name: string;
  readonly group: Group;
  /** The group's baseline: runs whenever any scenario of its group runs, and its row comes first. */
  readonly floor?: boolean;
  /** Rejects when the measurement failed; the runner reports it and carries on. */
  run(ctx: BenchContext): Promise<readonly BenchRow[]>;
}

export interface BenchContext {
  /** A private nats-server started for this run (never 4222). */
  readonly natsUrl: string;
  /** Absolute; children's entries and cwd are relative to it. */
  readonly repoRoot: string;
  readonly budget: Budget;
  /** Sequential p50/p99, then ops/s at 1, 16 and 128 in flight, with `op` run in this process. */
  profile(op: Op): Promise<Measured>;
  /** The same, measured inside a client child that answers `latency` and `throughput` commands. */
  profileRemote(client: ChildHandle): Promise<Measured>;
  /** Runs a TypeScript entry (e.g. "bench/children/echo-responder.ts") in its own process; stopped after `run`. */
  spawnTs(entry: string, args?: readonly string[]): Promise<ChildHandle>;
  /** Runs any command speaking the line protocol (cwd defaults to repoRoot); stopped after `run`. */
  spawn(spec: Omit<ChildSpec, "cwd"> & { readonly cwd?: string }): Promise<ChildHandle>;
  /** Registers clean-up run after `run` settles, last registered first (connections before servers). */
  onCleanup(fn: () => unknown): void;
  /** Progress on stderr, so stdout stays the table. */
  log(message: string): void;
}

export function isSkipped(row: BenchRow): row is SkippedRow {
  return "skipped" in row;
}

export function isValueRow(row: BenchRow): row is ValueRow {
  return "value" in row;
}

export function isMeasured(row: BenchRow): row is MeasuredRow {
  return !isSkipped(row) && !isValueRow(row);
}
