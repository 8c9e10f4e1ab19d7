/** JSON payloads on the wire: decoding with the protocol's limits, and the two reply shapes. */
import { BadRequest, toWireError, type PortcullisError } from "../errors.ts";

/** PROTOCOL.md: payloads over 64 KiB are refused. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function encode(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Decodes one JSON object; rejects with `BadRequest` for anything else. */
export function decodeObject(data: Uint8Array): Record<string, unknown> {
  if (data.byteLength > MAX_PAYLOAD_BYTES) throw new BadRequest(`payload exceeds ${MAX_PAYLOAD_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(data));
  } catch {
    throw new BadRequest("payload is not UTF-8 JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BadRequest("payload must be a JSON object");
  }
  return value as Record<string, unknown>;
}

/** `{"ok": true, ...fields}` */
export function okReply(fields: Record<string, unknown> = {}): Uint8Array {
  return encode({ ok: true, ...fields });
}

const OK = encode({ ok: true });
/** The bare `{"ok": true}`, encoded once. */
export function okEmpty(): Uint8Array {
  return OK;
}

/** `{"ok": false, "error": {...}}`; errors outside the closed set become `fallback`. */
export function errorReply(error: unknown, fallback?: () => PortcullisError): Uint8Array {
  return encode({ ok: false, error: toWireError(error, fallback) });
}
