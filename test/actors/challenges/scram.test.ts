/** ScramChecker and the scram-sha-256 messages against RFC 7677's test vector. */
import { describe, expect, it } from "vitest";
import { ScramChecker } from "../../../actors/checkers/scram.ts";
import { ScramCredentials } from "../../../actors/challenges/scram-sha-256.ts";
import { OpaqueCredentials } from "../../../actors/credentials/opaque.ts";
import { BadRequest, UnauthorizedLogin } from "../../../actors/errors.ts";
import { makeChecker } from "../../../actors/strcred/registry.ts";
import { scramClient } from "../../../actors/client/challenge-answers.ts";

// RFC 7677 §3.
const CLIENT_FIRST = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
const SERVER_FIRST = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
const CLIENT_FINAL =
  "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
const SERVER_FINAL = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
const AUTH_PREFIX = `n=user,r=rOprNGfwEbeRWgbNEkqO,${SERVER_FIRST}`;

function vectorChecker() {
  const checker = new ScramChecker({ nonce: () => "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0" });
  checker.addUser("user", "pencil", { salt: "W22ZaJ0SNY7soEsUEjb6gQ==", iterations: 4096 });
  return checker;
}

describe("ScramChecker", () => {
  it("makes RFC 7677's server-first and server-final messages", () => {
    expect(vectorChecker().answerChallengeQuery({ mechanism: "scram-sha-256", message: CLIENT_FIRST })).toEqual({
      challenge: SERVER_FIRST,
      final: SERVER_FINAL,
    });
  });

  it("accepts RFC 7677's client-final-message, locally and as opaque wire credentials", () => {
    const checker = vectorChecker();
    expect(checker.requestAvatarId(new ScramCredentials("user", AUTH_PREFIX, CLIENT_FINAL))).toBe("user");
    const wire = new OpaqueCredentials({ kind: "scram-sha-256", username: "user", challenge: AUTH_PREFIX, response: CLIENT_FINAL });
    expect(checker.requestAvatarId(wire)).toBe("user");
  });

  it("computes RFC 7677's client-final-message and checks its server-final as a client", () => {
    const client = scramClient("user", "pencil", "rOprNGfwEbeRWgbNEkqO");
    expect(client.first).toBe(CLIENT_FIRST);
    expect(client.final(SERVER_FIRST)).toBe(CLIENT_FINAL);
    expect(client.verifyServer(SERVER_FINAL)).toBe(true);
    expect(client.verifyServer("v=AAAA")).toBe(false);
  });

  it("refuses a wrong proof, another user's name, another nonce and an unknown user with UnauthorizedLogin", () => {
    const checker = vectorChecker();
    const badProof = CLIENT_FINAL.replace("p=dH", "p=eH");
    for (const c of [
      new ScramCredentials("user", AUTH_PREFIX, badProof),
      new ScramCredentials("other", AUTH_PREFIX, CLIENT_FINAL),
      new ScramCredentials("user", AUTH_PREFIX, CLIENT_FINAL.replace(",r=rOprNGfwEbeRWgbNEkqO%", ",r=rOprNGfwEbeRWgbNEkqX%")),
      new ScramCredentials("user", "garbage", CLIENT_FINAL),
      new ScramCredentials("user", AUTH_PREFIX, "garbage"),
    ]) {
      expect(() => checker.requestAvatarId(c)).toThrow(UnauthorizedLogin);
    }
  });

  it("gives an unknown user a stable, plausible salt", () => {
    const checker = vectorChecker();
    const a = checker.answerChallengeQuery({ mechanism: "scram-sha-256", message: "n,,n=nobody,r=abc" });
    const b = checker.answerChallengeQuery({ mechanism: "scram-sha-256", message: "n,,n=nobody,r=abc" });
    expect(a["challenge"]).toMatch(/^r=abc.+,s=[A-Za-z0-9+/]{22}==,i=4096$/);
    expect(a).toEqual(b);
  });

  it("rejects a malformed or channel-bound client-first-message with BadRequest, a NUL in the name included (RFC 5802's saslname has none)", () => {
    const checker = vectorChecker();
    for (const message of ["", "n,,r=x", "p=tls-unique,,n=user,r=x", "n,a=admin,n=user,r=x", "n,,n=us=er,r=x", "n,,n=user,r=x,m=ext", "n,,n=al\u0000ice,r=x"]) {
      expect(() => checker.answerChallengeQuery({ mechanism: "scram-sha-256", message })).toThrow(BadRequest);
    }
  });

  it("never keeps the password", async () => {
    const checker = (await makeChecker("scram:alice:s3cret-pw")) as ScramChecker;
    expect(JSON.stringify(checker)).not.toContain("s3cret-pw");
    const client = scramClient("alice", "s3cret-pw");
    const { challenge, final } = checker.answerChallengeQuery({ mechanism: "scram-sha-256", message: client.first });
    const response = client.final(challenge as string);
    const prefix = `${client.first.slice(3)},${challenge}`;
    expect(checker.requestAvatarId(new ScramCredentials("alice", prefix, response))).toBe("alice");
    expect(client.verifyServer(final as string)).toBe(true);
  });
});
