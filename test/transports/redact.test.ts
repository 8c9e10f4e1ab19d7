/** Identifiers never reach a log in full (PROTOCOL.md: a session id is its session's capability). */
import { describe, expect, it, vi } from "vitest";
import { NoResponders, RequestTimeout } from "../../transports/errors.ts";
import { HandlerRunner } from "../../transports/handler-runner.ts";
import { redactIdentifiers } from "../../transports/redact.ts";

const ID = "q8VxT3bA1c_d-EfGhIjKlM";

describe("redactIdentifiers", () => {
  it("cuts every 22-character base64url token to six characters, in subjects and in free text", () => {
    expect(redactIdentifiers(`cred.session.${ID}.>`)).toBe("cred.session.q8VxT3….>");
    expect(redactIdentifiers(`failed for ${ID}: "${ID}"`)).toBe('failed for q8VxT3…: "q8VxT3…"');
  });

  it("leaves shorter and longer tokens alone", () => {
    expect(redactIdentifiers("cred.login cred.checker.memory")).toBe("cred.login cred.checker.memory");
    expect(redactIdentifiers(`x.${ID}Z.y`)).toBe(`x.${ID}Z.y`);
  });
});

describe("a request's failure", () => {
  it("says which session subject timed out or had no responders without the session id in full, and keeps the subject for code", () => {
    // An outside probe found the library's RequestTimeout for a ping quoting the whole id.
    const timeout = new RequestTimeout(`cred.session.${ID}.ping`, 15000);
    expect(timeout.message).toBe("request on cred.session.q8VxT3….ping timed out after 15000 ms");
    expect(timeout.subject).toBe(`cred.session.${ID}.ping`);
    const nobody = new NoResponders(`cred.session.${ID}.call`);
    expect(nobody.message).toBe("no responders for cred.session.q8VxT3….call");
    expect(nobody.subject).toBe(`cred.session.${ID}.call`);
  });
});

describe("HandlerRunner's default warning", () => {
  it("names the failing subscription's subject without the session id in it", () => {
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => undefined);
    try {
      const runner = new HandlerRunner();
      const subscription = { subject: `cred.session.${ID}.>`, unsubscribe() {}, drain: async () => {} };
      runner.report(new Error(`boom on cred.session.${ID}.call`), subscription);
      const text = String(warn.mock.calls[0]?.[0]);
      expect(text).toContain("cred.session.q8VxT3….>");
      expect(text).not.toContain(ID);
    } finally {
      warn.mockRestore();
    }
  });
});
