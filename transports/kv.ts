/** A small typed key-value store over a JetStream KV bucket: get, create, and update-if-unchanged (compare-and-set). */
import { hash } from "node:crypto";
import { Kvm, type KV, type KvWatchEntry } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { NatsBus } from "./nats.ts";

/** A value and the revision it was stored at; pass the revision to `update` to write only if nobody wrote since. */
export interface KvItem<T> {
  readonly value: T;
  readonly revision: number;
}

/** How values become bytes and back. `decode` may throw on garbage; `get` then rejects with that error. */
export interface KvValueCodec<T> {
  encode(value: T): Uint8Array;
  decode(data: Uint8Array): T;
}

/** One bucket. Keys are NATS KV keys: `[-/_=.a-zA-Z0-9]+`, not starting or ending with `.`. */
export interface KvStore<T> {
  readonly bucket: string;
  /** The current value, or null when the key is absent, deleted, purged or expired. */
  get(key: string): Promise<KvItem<T> | null>;
  /** Stores a new key; rejects with `KvConflict` when the key already holds a value. Resolves to the revision. */
  create(key: string, value: T): Promise<number>;
  /** Overwrites the key only if `revision` is still its latest; rejects with `KvConflict` otherwise. */
  update(key: string, value: T, revision: number): Promise<number>;
  /** Removes the key (whatever its revision). */
  delete(key: string): Promise<void>;
  /** How many values the bucket holds (deletes included until they age out). */
  count(): Promise<number>;
  /**
   * Tells `onChange` every key's current value, then every change as it is stored, in revision
   * order; a broken connection resumes where it stopped. See `KvWatch` for when it is loaded.
   */
  watch(onChange: (change: KvChange<T>) => void): Promise<KvWatch>;
}

/** One value a watch saw: the key at `revision`; `deleted` for a delete or purge. */
export interface KvChange<T> {
  readonly key: string;
  readonly revision: number;
  readonly deleted: boolean;
  /** The value; undefined when deleted or when the codec could not decode it (`undecodable`). */
  readonly value: T | undefined;
  readonly undecodable: boolean;
  /** When the server stored it, epoch ms (by the server's clock). */
  readonly storedAt: number;
}

/** A running watch. */
export interface KvWatch {
  /** Resolves once every value stored before the watch began has been told. */
  readonly loaded: Promise<void>;
  /** Resolves when the watch ends: null after `stop()` or with its connection, else why it ended. */
  readonly ended: Promise<string | null>;
  stop(): void;
}

export interface KvStoreOptions<T> {
  /** Bucket name (`[-_a-zA-Z0-9]+`); created when missing, opened when present. */
  readonly bucket: string;
  /** Every value expires this long after it was last written (the bucket's max age); none when absent. */
  readonly ttlMs?: number;
  /** `file` (default) survives a server restart; `memory` does not. */
  readonly storage?: "file" | "memory";
  /** Defaults to JSON. */
  readonly codec?: KvValueCodec<T>;
}

/** A compare-and-set lost: the key was written by someone else since it was read (or exists already, for create). */
export class KvConflict extends Error {
  override readonly name = "KvConflict";
  constructor(readonly key: string) {
    super(`key ${key} was changed concurrently`);
  }
}

/** JetStream's "wrong last sequence" API errors (10071, 10164): the expected revision was not the latest. */
const WRONG_LAST_SEQUENCE = new Set([10071, 10164]);

function isWrongLastSequence(error: unknown): boolean {
  // Matched by code: JetStreamApiError lives in @nats-io/jetstream, which this package does not import directly.
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === "number" && WRONG_LAST_SEQUENCE.has(code);
}

/** Plain JSON values. */
export function jsonCodec<T>(): KvValueCodec<T> {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  return {
    encode: (value) => encoder.encode(JSON.stringify(value)),
    decode: (data) => JSON.parse(decoder.decode(data)) as T,
  };
}

/** What `changeWithRetry`'s change returns to leave the key as it is. */
export const KEEP: unique symbol = Symbol("keep");

/**
 * Read, change, and write back only if nobody wrote since (compare-and-set). A write that lost the
 * race is retried on a fresh read, after a short random pause so the losers spread out, up to
 * `maxRetries` times; then it rejects with `KvConflict`. `change` gets the current value
 * (undefined when absent) and returns the new one, or `KEEP` to write nothing. Resolves to whether
 * it wrote.
 */
export async function changeWithRetry<T>(
  store: KvStore<T>,
  key: string,
  change: (current: T | undefined) => T | typeof KEEP,
  maxRetries: number,
): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    const item = await store.get(key);
    const next = change(item?.value);
    if (next === KEEP) return false;
    try {
      if (item === null) await store.create(key, next);
      else await store.update(key, next, item.revision);
      return true;
    } catch (error) {
      if (!(error instanceof KvConflict) || attempt >= maxRetries) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(attempt + 1, 10)));
    }
  }
}

/** A valid KV key for any string (KV keys allow `[-/_=.a-zA-Z0-9]` only), without storing it in clear. */
export function hashedKey(prefix: string, input: string): string {
  return `${prefix}.${hash("sha256", input, "base64url")}`;
}

/** Creates (or opens) the bucket on the bus's connection. Rejects when JetStream is not enabled or the name is invalid. */
export async function openKvStore<T>(bus: NatsBus, options: KvStoreOptions<T>): Promise<KvStore<T>> {
  const config = {
    // One value per key: the store only ever needs the latest, and CAS compares against it.
    history: 1,
    ...(options.ttlMs !== undefined && { ttl: options.ttlMs }),
    ...(options.storage !== undefined && { storage: options.storage }),
  };
  for (let attempt = 1; ; attempt++) {
    try {
      const kv = await new Kvm(bus.connection).create(options.bucket, config);
      return new JetStreamKvStore(options.bucket, kv, options.codec ?? jsonCodec<T>(), bus.connection);
    } catch (error) {
      // Two processes creating the same bucket at once (portals starting together): nats-server
      // can refuse the loser with "subjects overlap" while the winner's stream is being made.
      // Creating again then finds the same stream and opens it.
      if (!isSubjectOverlap(error) || attempt >= CREATE_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}

const CREATE_ATTEMPTS = 5;
/** JetStream's "subjects overlap with an existing stream" (JSStreamSubjectOverlapErr). */
const SUBJECT_OVERLAP = 10065;

function isSubjectOverlap(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === SUBJECT_OVERLAP;
}

class JetStreamKvStore<T> implements KvStore<T> {
  constructor(
    readonly bucket: string,
    private readonly kv: KV,
    private readonly codec: KvValueCodec<T>,
    private readonly connection: NatsConnection,
  ) {}

  async get(key: string): Promise<KvItem<T> | null> {
    const entry = await this.kv.get(key);
    if (entry === null || entry.operation !== "PUT") return null;
    return { value: this.codec.decode(entry.value), revision: entry.revision };
  }

  create(key: string, value: T): Promise<number> {
    return this.#cas(key, () => this.kv.create(key, this.codec.encode(value)));
  }

  update(key: string, value: T, revision: number): Promise<number> {
    return this.#cas(key, () => this.kv.update(key, this.codec.encode(value), revision));
  }

  delete(key: string): Promise<void> {
    return this.kv.delete(key);
  }

  async count(): Promise<number> {
    return (await this.kv.status()).values;
  }

  async watch(onChange: (change: KvChange<T>) => void): Promise<KvWatch> {
    // The initial values end with the stream's last message (the newest value of its key), so
    // the load is done at that revision; `isUpdate` covers a last message that expired meanwhile.
    const { values, streamInfo } = await this.kv.status();
    const loadedAt = streamInfo.state.last_seq;
    let isLoaded = false;
    let resolveLoaded!: () => void;
    const loadedPromise = new Promise<void>((resolve) => (resolveLoaded = resolve));
    const loaded = () => {
      isLoaded = true;
      resolveLoaded();
    };
    if (values === 0) loaded();
    const entries = await this.kv.watch();
    let stopped = false;
    // The last message may expire (the bucket's TTL) between the status and the watch: the watch
    // then delivers nothing, and nothing would ever say the load is done (a mirror resuming as the
    // last keys aged out stayed unloaded for good, 2 runs in 7). Once that message is gone from
    // the stream, there is nothing left to load.
    void (async () => {
      for (let first = true; ; first = false) {
        if (!first) await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
        // Checked after the wait too: a status asked for a watch loaded meanwhile is a needless JetStream request.
        if (isLoaded || stopped) return;
        const now = await this.kv.status();
        if (now.values === 0 || now.streamInfo.state.first_seq > loadedAt) loaded();
      }
    })().catch(() => undefined);
    const ended = (async (): Promise<string | null> => {
      try {
        for await (const entry of entries) {
          onChange(this.#change(entry));
          if (entry.isUpdate || entry.revision >= loadedAt) loaded();
        }
        return stopped || this.connection.isClosed() || this.connection.isDraining() ? null : "the watch ended";
      } catch (error) {
        return stopped ? null : `the watch failed: ${String(error)}`;
      }
    })();
    return {
      loaded: loadedPromise,
      ended,
      stop: () => {
        stopped = true;
        entries.stop();
      },
    };
  }

  #change(entry: KvWatchEntry): KvChange<T> {
    const deleted = entry.operation !== "PUT";
    let value: T | undefined;
    let undecodable = false;
    if (!deleted) {
      try {
        value = this.codec.decode(entry.value);
      } catch {
        undecodable = true;
      }
    }
    return { key: entry.key, revision: entry.revision, deleted, value, undecodable, storedAt: entry.created.getTime() };
  }

  async #cas(key: string, write: () => Promise<number>): Promise<number> {
    try {
      return await write();
    } catch (error) {
      throw isWrongLastSequence(error) ? new KvConflict(key) : error;
    }
  }
}
