/** cram-md5 and pb-md5 checked by the in-memory checker, locally and as opaque wire credentials (serveChecker's path). */
import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { InMemoryUsernamePasswordDatabaseDontUse } from "../../../actors/checkers/in-memory.ts";
import { answerField, CramMD5Credentials, cramMD5Response } from "../../../actors/challenges/cram-md5.ts";
import { PBMD5Credentials, pbMD5Response } from "../../../actors/challenges/pb-md5.ts";
import { OpaqueCredentials } from "../../../actors/credentials/opaque.ts";
import { BadRequest, UnauthorizedLogin } from "../../../actors/errors.ts";

const checker = new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" }, { challenges: true });
const PB_CHALLENGE = "00112233445566778899aabbccddeeff";

describe("cram-md5 and pb-md5 in the in-memory checker", () => {
  it("computes RFC 2195's example response", () => {
    // RFC 2195 §2: tim / tanstaaftanstaaf.
    expect(cramMD5Response("tanstaaftanstaaf", "<1896.697170952@postoffice.reston.mci.net>")).toBe("b913a602c7eda7a495b4e6e7334d3890");
  });

  it("computes Twisted's pb.respond in hex", () => {
    const challenge = "00112233445566778899aabbccddeeff";
    const inner = createHash("md5").update("pw").digest();
    expect(pbMD5Response("pw", challenge)).toBe(createHash("md5").update(inner).update(Buffer.from(challenge, "hex")).digest("hex"));
  });

  it("accepts right answers locally and from the wire, and refuses wrong ones and unknown users alike", () => {
    const cram = createHmac("md5", "pw").update("<1.2@h>").digest("hex");
    const pb = pbMD5Response("pw", "00112233445566778899aabbccddeeff");
    expect(checker.requestAvatarId(new CramMD5Credentials("alice", "<1.2@h>", cram))).toBe("alice");
    expect(checker.requestAvatarId(new OpaqueCredentials({ kind: "cram-md5", username: "alice", challenge: "<1.2@h>", response: cram }))).toBe("alice");
    expect(checker.requestAvatarId(new OpaqueCredentials({ kind: "pb-md5", username: "alice", challenge: "00112233445566778899aabbccddeeff", response: pb }))).toBe("alice");
    for (const c of [
      new CramMD5Credentials("alice", "<1.2@h>", "00"),
      new CramMD5Credentials("bob", "<1.2@h>", cram),
      new PBMD5Credentials("alice", "not-hex", pb),
      new PBMD5Credentials("alice", "00112233445566778899aabbccddeeff", pb.replace(/^./, "x")),
    ]) {
      expect(() => checker.requestAvatarId(c)).toThrow(UnauthorizedLogin);
    }
    expect(() => checker.requestAvatarId(new OpaqueCredentials({ kind: "cram-md5", username: "alice" }))).toThrow(BadRequest);
  });

  it("lists the challenge kinds only when asked to", () => {
    expect(new InMemoryUsernamePasswordDatabaseDontUse().credentialKinds).toEqual(["username-password", "username-hashed-password"]);
    expect(checker.credentialKinds).toEqual(["username-password", "cram-md5", "pb-md5", "username-hashed-password"]);
  });

  it("makes cram-md5 and pb-md5 answers username-hashed-password too, after their own kind (Twisted's IUsernameHashedPassword)", () => {
    expect(new CramMD5Credentials("alice", "<1.2@h>", "00").kinds).toEqual(["cram-md5", "username-hashed-password"]);
    expect(new PBMD5Credentials("alice", PB_CHALLENGE, "00").kinds).toEqual(["pb-md5", "username-hashed-password"]);
  });

  // Twisted compares hexlify's lowercase output with ==; PROTOCOL.md says lowercase hex.
  it("refuses a right answer in uppercase hex", () => {
    const cram = cramMD5Response("pw", "<1.2@h>");
    const pb = pbMD5Response("pw", PB_CHALLENGE);
    expect(new CramMD5Credentials("alice", "<1.2@h>", cram.toUpperCase()).checkPassword("pw")).toBe(false);
    expect(new PBMD5Credentials("alice", PB_CHALLENGE, pb.toUpperCase()).checkPassword("pw")).toBe(false);
    expect(() => checker.requestAvatarId(new CramMD5Credentials("alice", "<1.2@h>", cram.toUpperCase()))).toThrow(UnauthorizedLogin);
    expect(() => checker.requestAvatarId(new PBMD5Credentials("alice", PB_CHALLENGE, pb.toUpperCase()))).toThrow(UnauthorizedLogin);
    expect(new CramMD5Credentials("alice", "<1.2@h>", cram).checkPassword("pw")).toBe(true);
    expect(new PBMD5Credentials("alice", PB_CHALLENGE, pb).checkPassword("pw")).toBe(true);
  });

  it("computes pbMD5Response only for a challenge of 32 lowercase hex characters, throwing TypeError otherwise", () => {
    for (const challenge of [PB_CHALLENGE.toUpperCase(), "not-hex", "zz112233445566778899aabbccddeeff", PB_CHALLENGE.slice(2), `${PB_CHALLENGE}00`, ""]) {
      expect(() => pbMD5Response("pw", challenge), challenge).toThrow(TypeError);
    }
    expect(pbMD5Response("pw", PB_CHALLENGE)).toMatch(/^[0-9a-f]{32}$/);
    // The checker refuses such a challenge without throwing.
    expect(new PBMD5Credentials("alice", PB_CHALLENGE.toUpperCase(), pbMD5Response("pw", PB_CHALLENGE)).checkPassword("pw")).toBe(false);
  });

  it("never shows the response in toJSON", () => {
    expect(JSON.stringify(new CramMD5Credentials("alice", "<1.2@h>", "deadbeef"))).not.toContain("deadbeef");
  });
});

describe("answerField", () => {
  it("says a field is too long when it is, and missing or empty when it is (a fuzzer found 'expected a non-empty string' for 60,000 characters)", () => {
    expect(() => answerField({ publicKey: "A".repeat(60_000) }, "publicKey")).toThrow(new BadRequest("invalid publicKey: longer than 8192 characters"));
    expect(() => answerField({ publicKey: "" }, "publicKey")).toThrow(new BadRequest("invalid publicKey: expected a non-empty string"));
    expect(() => answerField({}, "publicKey")).toThrow(new BadRequest("invalid publicKey: expected a non-empty string"));
    expect(answerField({ publicKey: "AAAA" }, "publicKey")).toBe("AAAA");
  });
});
