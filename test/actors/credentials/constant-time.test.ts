import { describe, expect, it } from "vitest";
import { constantTimeEqual } from "../../../actors/credentials/constant-time.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("constantTimeEqual", () => {
  it("is true for equal secrets, short and past the padded size, as strings and as bytes", () => {
    for (const secret of ["", "secret", "pässwörd🔑", "x".repeat(256), "y".repeat(257), "z".repeat(10_000)]) {
      expect(constantTimeEqual(secret, secret)).toBe(true);
      expect(constantTimeEqual(bytes(secret), bytes(secret))).toBe(true);
      expect(constantTimeEqual(secret, bytes(secret))).toBe(true);
    }
  });

  it("is false for secrets that differ anywhere, including in their last byte", () => {
    expect(constantTimeEqual("secret", "secreT")).toBe(false);
    expect(constantTimeEqual("Secret", "secret")).toBe(false);
    expect(constantTimeEqual(`${"a".repeat(255)}b`, `${"a".repeat(255)}c`)).toBe(false);
    expect(constantTimeEqual(`${"a".repeat(300)}b`, `${"a".repeat(300)}c`)).toBe(false);
  });

  it("is false when one secret is the other with zero bytes after it (padding is not content)", () => {
    expect(constantTimeEqual("abc", "abc\u0000")).toBe(false);
    expect(constantTimeEqual(bytes("abc"), new Uint8Array([97, 98, 99, 0, 0]))).toBe(false);
    expect(constantTimeEqual("", "\u0000")).toBe(false);
  });

  it("is false across the padded size: a short secret never equals a long one sharing its start", () => {
    const long = "p".repeat(300);
    expect(constantTimeEqual(long.slice(0, 256), long)).toBe(false);
    expect(constantTimeEqual(long, long.slice(0, 256))).toBe(false);
  });

  it("leaves nothing of one comparison in the next (its buffers are reused)", () => {
    expect(constantTimeEqual("a-long-password", "a-long-password")).toBe(true);
    expect(constantTimeEqual("a", "a-long-password".slice(0, 1))).toBe(true);
    expect(constantTimeEqual("a", "ab")).toBe(false);
  });
});
