/** The PHC string format's pieces (`$id$params$salt$hash`) and its unpadded standard base64. */

/** Encodes bytes as PHC's B64: the standard alphabet without padding. */
export function toB64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64").replace(/=+$/, "");
}

/** Decodes PHC B64; undefined when it is not canonical unpadded standard base64. */
export function fromB64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*$/.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, "base64");
  return toB64(bytes) === text ? bytes : undefined;
}

/** Reads `a=1,b=2` into a map of non-negative integers; undefined when malformed. */
export function parseParams(text: string): Map<string, number> | undefined {
  const params = new Map<string, number>();
  for (const pair of text.split(",")) {
    const match = /^([a-z0-9-]+)=(0|[1-9][0-9]{0,9})$/.exec(pair);
    if (!match || params.has(match[1]!)) return undefined;
    params.set(match[1]!, Number(match[2]));
  }
  return params;
}
