/** Helpers the transport-parametrised suites share: a network to connect to, JSON payloads, waiting. */
import type { Bus } from "../../transports/bus.ts";

/** What a suite is run over: the in-process network or a real nats-server. */
export interface Network {
  connect(): Promise<Bus> | Bus;
  teardown(): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export const json = (value: unknown): Uint8Array => enc.encode(JSON.stringify(value));
export const parse = (data: Uint8Array) => JSON.parse(dec.decode(data)) as Record<string, any>;
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 5 ms; rejects after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await sleep(5);
  }
}

/** nats.conf's `max_payload` (2MB): in-process networks standing in for NATS are given the same. */
export const NATS_CONF_MAX_PAYLOAD = 2 * 1024 * 1024;
