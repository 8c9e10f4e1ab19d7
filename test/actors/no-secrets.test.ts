/** No secret of any credentials kind reaches a log line, an error message or an inspection event. */
import { describe, expect, it } from "vitest";
import type { InspectionEvent } from "xstate";
import {
  Anonymous,
  CascadingChecker,
  ControlFlag,
  CramMD5Credentials,
  cramMD5Response,
  InMemoryUsernamePasswordDatabaseDontUse,
  OpaqueCredentials,
  PBMD5Credentials,
  pbMD5Response,
  Portal,
  TokenAuthority,
  TokenChecker,
  TokenCredentials,
  TotpChecker,
  UsernameHashedPassword,
  UsernamePassword,
  UsernamePasswordOtp,
  type Checker,
  type Credentials,
} from "../../actors/index.ts";
import { captureLogs } from "../support/capture-logs.ts";
import { TestRealm } from "../support/test-realm.ts";

const SECRET = "Sup3r-S3cret-Value";
const TOKEN_KEY = new TextEncoder().encode("k".repeat(32));

/** Serializes anything, cycles and functions included, so nothing hides from the grep. */
function dump(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "function") return `[fn ${v.name}]`;
    if (typeof v === "bigint") return String(v);
    if (v instanceof Error) return { name: v.name, message: v.message };
    if (typeof v === "object" && v !== null) {
      if (seen.has(v)) return "[cycle]";
      seen.add(v);
    }
    return v;
  });
}

async function cases(): Promise<Array<{ kind: string; checker: Checker; good: Credentials; bad: Credentials; secrets: string[] }>> {
  const memory = () => new InMemoryUsernamePasswordDatabaseDontUse({ alice: SECRET }, { challenges: true });
  const tokens = new TokenAuthority({ algorithm: "HS256", signingKey: TOKEN_KEY, verifyingKey: TOKEN_KEY });
  const { token } = await tokens.issue("alice");
  const totpSecret = "JBSWY3DPEHPK3PXP";
  const totp = new TotpChecker({ alice: totpSecret });
  const cascade = new CascadingChecker();
  cascade.registerChecker(memory(), ControlFlag.required);
  cascade.registerChecker(totp, ControlFlag.required);
  const cram = "<1896.697170952@postoffice.example.net>";
  const pb = "00112233445566778899aabbccddeeff";
  return [
    { kind: "username-password", checker: memory(), good: new UsernamePassword("alice", SECRET), bad: new UsernamePassword("alice", `${SECRET}x`), secrets: [SECRET, `${SECRET}x`] },
    { kind: "username-hashed-password", checker: memory(), good: new UsernameHashedPassword("alice", SECRET), bad: new UsernameHashedPassword("alice", `${SECRET}y`), secrets: [SECRET, `${SECRET}y`] },
    { kind: "cram-md5", checker: memory(), good: new CramMD5Credentials("alice", cram, cramMD5Response(SECRET, cram)), bad: new CramMD5Credentials("alice", cram, cramMD5Response("nope", cram)), secrets: [SECRET, cramMD5Response(SECRET, cram), cramMD5Response("nope", cram)] },
    { kind: "pb-md5", checker: memory(), good: new PBMD5Credentials("alice", pb, pbMD5Response(SECRET, pb)), bad: new PBMD5Credentials("alice", pb, pbMD5Response("nope", pb)), secrets: [SECRET, pbMD5Response(SECRET, pb), pbMD5Response("nope", pb)] },
    { kind: "token", checker: new TokenChecker(tokens), good: new TokenCredentials(token), bad: new TokenCredentials(`${token}AA`), secrets: [token.split(".")[2]!] },
    { kind: "username-password-otp", checker: cascade, good: new UsernamePasswordOtp("alice", SECRET, "000000"), bad: new UsernamePasswordOtp("alice", `${SECRET}z`, "123456"), secrets: [SECRET, `${SECRET}z`, totpSecret] },
    { kind: "custom", checker: { credentialKinds: ["x-custom"], requestAvatarId: (c) => { if (c.toWire()["secret"] === SECRET) return "alice"; throw new Error(`refused ${String(c.toWire()["secret"])}`); } }, good: new OpaqueCredentials({ kind: "x-custom", secret: SECRET }), bad: new OpaqueCredentials({ kind: "x-custom", secret: `${SECRET}q` }), secrets: [SECRET, `${SECRET}q`] },
    { kind: "anonymous", checker: { credentialKinds: ["anonymous"], requestAvatarId: () => "nobody" }, good: new Anonymous(), bad: new Anonymous(), secrets: [] },
  ];
}

describe("secrets", () => {
  it("never reach a log line, an error message or an inspection event, for every credentials kind", async () => {
    const { lines, logger } = captureLogs("trace");
    for (const { kind, checker, good, bad, secrets } of await cases()) {
      const events: InspectionEvent[] = [];
      const portal = new Portal(new TestRealm(), [checker], { inspect: (e) => events.push(e) });
      const errors: unknown[] = [];
      for (const credentials of [good, bad]) {
        logger.info({ kind, credentials }, "attempt");
        try {
          const { logout } = await portal.login(credentials, null, "test.Testable");
          await logout();
        } catch (error) {
          errors.push(error);
          logger.warn({ kind, err: error }, "refused");
        }
      }
      expect(events.length, kind).toBeGreaterThan(5);
      const seen = dump(events) + dump(errors.map((e) => ({ message: (e as Error).message, e }))) + lines.join("");
      for (const secret of secrets) expect(seen.includes(secret), `${kind}: ${secret.slice(0, 4)}… leaked`).toBe(false);
      if (kind !== "anonymous" && kind !== "username-password-otp") expect(errors, kind).toHaveLength(1);
    }
  });
});
