/** The wire codec's limits: size, UTF-8 JSON objects only, nesting depth; and subjects fit for a log. */
import { describe, expect, it } from "vitest";
import { BadRequest, RateLimited } from "../../../actors/errors.ts";
import { decodeObject, errorReply, MAX_NESTING } from "../../../actors/wire/codec.ts";
import { loggableSubject, newIdentifier } from "../../../actors/wire/identifiers.ts";

const enc = new TextEncoder();
/** An object whose field `a` holds `depth - 1` nested arrays: `depth` levels in all. */
const levels = (depth: number) => enc.encode(`{"a":${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}}`);

describe("decodeObject", () => {
  it(`accepts ${MAX_NESTING} levels of nesting and refuses ${MAX_NESTING + 1} with BadRequest`, () => {
    expect(decodeObject(levels(MAX_NESTING))).toHaveProperty("a");
    expect(() => decodeObject(levels(MAX_NESTING + 1))).toThrow(BadRequest);
    expect(() => decodeObject(levels(10_000))).toThrow(/nests deeper than 64/);
  });

  it("does not count brackets inside strings, escaped quotes included", () => {
    const text = JSON.stringify({ s: "[".repeat(200), t: '\\"{{{{', u: ["]]]"] });
    expect(decodeObject(enc.encode(text))).toEqual(JSON.parse(text));
  });
});

describe("loggableSubject", () => {
  it("shortens every identifier token of a subject and leaves the rest", () => {
    const id = newIdentifier();
    expect(loggableSubject(`cred.session.${id}.call`)).toBe(`cred.session.${id.slice(0, 6)}….call`);
    expect(loggableSubject(`cred.challenge.${id}`)).toBe(`cred.challenge.${id.slice(0, 6)}…`);
    expect(loggableSubject("cred.login")).toBe("cred.login");
    expect(loggableSubject(`cred.session.${id}.call`)).not.toContain(id);
  });
});

describe("errorReply", () => {
  it("puts a RateLimited's retryAfterMs both in `error` and beside it, where a client from PROTOCOL.md may look for it", () => {
    expect(JSON.parse(new TextDecoder().decode(errorReply(new RateLimited(1500))))).toEqual({
      ok: false,
      error: { code: "RateLimited", message: "too many attempts", retryAfterMs: 1500 },
      retryAfterMs: 1500,
    });
  });

  it("adds nothing beside `error` for the other codes", () => {
    expect(JSON.parse(new TextDecoder().decode(errorReply(new BadRequest("no"))))).toEqual({ ok: false, error: { code: "BadRequest", message: "no" } });
  });
});
