/**
 * Where a TotpChecker remembers each user's last accepted time step (RFC 6238 §5.2: a code is
 * accepted once). In memory per process, or in a JetStream KV bucket that several portals share,
 * so that a code used at one portal cannot be replayed at another.
 */
import { changeWithRetry, hashedKey, KEEP, openKvStore, type KvStore, type KvValueCodec } from "../../transports/kv.ts";
import type { NatsBus } from "../../transports/nats.ts";

export interface TotpStepStore {
  /** The last accepted step of `username`, if any (otplib then refuses that step and earlier ones). */
  last(username: string): Promise<number | undefined> | number | undefined;
  /**
   * Records `step` as used unless it, or a later one, already is. Resolves to false when someone
   * else claimed it first: of two logins racing with one code, exactly one claim succeeds.
   */
  claim(username: string, step: number): Promise<boolean> | boolean;
}

/** One process's memory (the default). */
export class MemoryTotpSteps implements TotpStepStore {
  readonly #last = new Map<string, number>();

  last(username: string): number | undefined {
    return this.#last.get(username);
  }

  claim(username: string, step: number): boolean {
    const last = this.#last.get(username);
    if (last !== undefined && step <= last) return false;
    this.#last.set(username, step);
    return true;
  }
}

export interface KvTotpStepsOptions {
  /** The bucket; `portcullis_totp_steps` when absent. Portals that share it share what was used. */
  readonly bucket?: string;
  /** `file` (default) or `memory`. */
  readonly storage?: "file" | "memory";
  /**
   * How long a used step is remembered; default 10 minutes. It must outlast the window in which a
   * code still verifies (one 30 s step plus the checker's clock tolerance either way).
   */
  readonly rememberMs?: number;
  /** Claims that lose to a concurrent writer are retried this many times; default 20. */
  readonly maxRetries?: number;
}

export const DEFAULT_TOTP_STEPS_BUCKET = "portcullis_totp_steps";
const DEFAULT_REMEMBER_MS = 10 * 60_000;
const DEFAULT_MAX_RETRIES = 20;

/** Garbage in the bucket reads as "no step used", never as a crash. */
const stepCodec: KvValueCodec<number | undefined> = {
  encode: (step) => new TextEncoder().encode(String(step)),
  decode: (data) => {
    const step = Number(new TextDecoder().decode(data));
    return Number.isSafeInteger(step) ? step : undefined;
  },
};

/** Usernames are not valid KV keys, and are not stored in clear. */
const keyOf = (username: string): string => hashedKey("user", username);

/** Shared through JetStream KV with compare-and-set; rejects with the store's error when it is unreachable. */
export class KvTotpSteps implements TotpStepStore {
  readonly #maxRetries: number;

  /** Use `openKvTotpSteps`; this takes a store already opened with a TTL of at least the verify window. */
  constructor(private readonly store: KvStore<number | undefined>, options: Pick<KvTotpStepsOptions, "maxRetries"> = {}) {
    this.#maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  }

  async last(username: string): Promise<number | undefined> {
    return (await this.store.get(keyOf(username)))?.value ?? undefined;
  }

  claim(username: string, step: number): Promise<boolean> {
    // Of racing claims only one write wins; the others re-read and find their step already used.
    return changeWithRetry(this.store, keyOf(username), (last) => (last !== undefined && step <= last ? KEEP : step), this.#maxRetries);
  }
}

/** Opens (or creates) the shared bucket on the bus's NATS connection. */
export async function openKvTotpSteps(bus: NatsBus, options: KvTotpStepsOptions = {}): Promise<KvTotpSteps> {
  const store = await openKvStore(bus, {
    bucket: options.bucket ?? DEFAULT_TOTP_STEPS_BUCKET,
    ttlMs: options.rememberMs ?? DEFAULT_REMEMBER_MS,
    codec: stepCodec,
    ...(options.storage !== undefined && { storage: options.storage }),
  });
  return new KvTotpSteps(store, options);
}
