/** JSON payloads on the wire: decoding with the protocol's limits, and the two reply shapes. */
import { BadRequest, toWireError, type PortcullisError } from "../errors.ts";

/** PROTOCOL.md: payloads over 64 KiB are refused. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/**
 * Deepest nesting of objects and arrays accepted (PROTOCOL.md is silent). A 10,000-deep `args`
 * parses, but then overflows the stack of whatever walks it (the reply's own encoding).
 */
export const MAX_NESTING = 64;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function encode(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Decodes one JSON object; rejects with `BadRequest` for anything else. */
export function decodeObject(data: Uint8Array): Record<string, unknown> {
  if (data.byteLength > MAX_PAYLOAD_BYTES) throw new BadRequest(`payload exceeds ${MAX_PAYLOAD_BYTES} bytes`);
  let text: string;
  let value: unknown;
  try {
    text = decoder.decode(data);
    value = JSON.parse(text);
  } catch {
    throw new BadRequest("payload is not UTF-8 JSON");
  }
  if (nestedTooDeep(text)) throw new BadRequest(`payload nests deeper than ${MAX_NESTING} levels`);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BadRequest("payload must be a JSON object");
  }
  return value as Record<string, unknown>;
}

/** Whether valid JSON `text` opens more than MAX_NESTING objects or arrays at once. */
function nestedTooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_NESTING) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
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

/**
 * `{"ok": false, "error": {...}}`; errors outside the closed set become `fallback`. A `RateLimited`
 * carries `retryAfterMs` in `error` and beside it: PROTOCOL.md says it "is included" but not where,
 * so a client reading either place finds it.
 */
export function errorReply(error: unknown, fallback?: () => PortcullisError): Uint8Array {
  const wire = toWireError(error, fallback);
  return encode(wire.retryAfterMs === undefined ? { ok: false, error: wire } : { ok: false, error: wire, retryAfterMs: wire.retryAfterMs });
}
