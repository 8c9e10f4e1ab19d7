/** ScramKeysFileChecker: RFC 5803 keys from a file (RFC 7677's vector), read again when it changes; `scram-file:` and `portcullis hash`. */
import { mkdtempSync, rmSync, writeFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { deriveScramKeys, formatScramSecret, parseScramSecret } from "../../../actors/challenges/scram-messages.ts";
import { ScramCredentials } from "../../../actors/challenges/scram-sha-256.ts";
import { ScramKeysFileChecker } from "../../../actors/checkers/scram-file.ts";
import { UnauthorizedLogin } from "../../../actors/errors.ts";
import { makeChecker } from "../../../actors/strcred/registry.ts";
import { scramClient } from "../../../actors/client/challenge-answers.ts";
import { hashCommand } from "../../../app/hash-command.ts";

// RFC 7677 §3.
const CLIENT_FIRST = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
const SERVER_FIRST = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
const CLIENT_FINAL = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
const SERVER_FINAL = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
const AUTH_PREFIX = `n=user,r=rOprNGfwEbeRWgbNEkqO,${SERVER_FIRST}`;
const VECTOR_KEYS = formatScramSecret(deriveScramKeys("pencil", "W22ZaJ0SNY7soEsUEjb6gQ==", 4096));

const dir = mkdtempSync(join(tmpdir(), "portcullis-scram-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const nonce = () => "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
/** Writes `lines` to a new file under `name`, renamed into place as an editor would. */
function writeKeys(name: string, lines: readonly string[]): string {
  const path = join(dir, name);
  writeFileSync(`${path}.tmp`, `${lines.join("\n")}\n`);
  renameSync(`${path}.tmp`, path);
  return path;
}

describe("RFC 5803 SCRAM keys", () => {
  it("reads back what it writes, and nothing but that form", () => {
    expect(VECTOR_KEYS).toMatch(/^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(formatScramSecret(parseScramSecret(VECTOR_KEYS)!)).toBe(VECTOR_KEYS);
    for (const bad of ["", "pencil", VECTOR_KEYS.replace("SCRAM-SHA-256", "SCRAM-SHA-1"), VECTOR_KEYS.replace("$4096", "$0"), VECTOR_KEYS.slice(0, -8), `${VECTOR_KEYS}:x`]) {
      expect(parseScramSecret(bad)).toBeUndefined();
    }
  });
});

describe("ScramKeysFileChecker", () => {
  it("logs RFC 7677's user in from keys in a file, without a password anywhere, and makes its server-first and server-final", async () => {
    const checker = new ScramKeysFileChecker(writeKeys("vector", ["# keys", `user:${VECTOR_KEYS}`]), { nonce });
    expect(await checker.answerChallengeQuery({ mechanism: "scram-sha-256", message: CLIENT_FIRST })).toEqual({ challenge: SERVER_FIRST, final: SERVER_FINAL });
    expect(await checker.requestAvatarId(new ScramCredentials("user", AUTH_PREFIX, CLIENT_FINAL))).toBe("user");
    await expect(checker.requestAvatarId(new ScramCredentials("user", AUTH_PREFIX, CLIENT_FINAL.replace("p=dH", "p=eH")))).rejects.toThrow(UnauthorizedLogin);
  });

  it("takes a changed file at the next check, and keeps the previous users when a new version has a line that is not keys", async () => {
    const path = writeKeys("changing", [`user:${VECTOR_KEYS}`]);
    const checker = new ScramKeysFileChecker(path, { nonce });
    expect(await checker.requestAvatarId(new ScramCredentials("user", AUTH_PREFIX, CLIENT_FINAL))).toBe("user");
    writeKeys("changing", [`user:${VECTOR_KEYS}`, "bob:plaintext-password"]);
    expect(await checker.requestAvatarId(new ScramCredentials("user", AUTH_PREFIX, CLIENT_FINAL))).toBe("user");
    writeKeys("changing", [`other:${VECTOR_KEYS}`]);
    await expect(checker.requestAvatarId(new ScramCredentials("user", AUTH_PREFIX, CLIENT_FINAL))).rejects.toThrow(UnauthorizedLogin);
  });

  it("gives a made-up user the iteration count most stored users have, so stored keys with another count than 4096 do not stand apart", async () => {
    const keys = (salt: string) => formatScramSecret(deriveScramKeys("pw", salt, 10_000));
    const checker = new ScramKeysFileChecker(writeKeys("tenk", [`alice:${keys("c2FsdDE=")}`, `bob:${keys("c2FsdDI=")}`]));
    const iterations = async (name: string) => /,i=(\d+)$/.exec(String((await checker.answerChallengeQuery({ mechanism: "scram-sha-256", message: `n,,n=${name},r=abc` }))["challenge"]))![1];
    expect(await iterations("alice")).toBe("10000");
    expect(await iterations("nobody")).toBe("10000");
  });

  it("goes through a whole exchange without a readable file, and refuses it", async () => {
    const checker = new ScramKeysFileChecker(join(dir, "missing"));
    const client = scramClient("user", "pencil");
    const { challenge } = await checker.answerChallengeQuery({ mechanism: "scram-sha-256", message: client.first });
    const final = client.final(String(challenge));
    await expect(checker.requestAvatarId(new ScramCredentials("user", `${client.first.slice(3)},${String(challenge)}`, final))).rejects.toThrow(UnauthorizedLogin);
  });
});

describe("scram-file: and portcullis hash --algorithm scram-sha-256", () => {
  it("makes a line `portcullis hash` printed into a checker that logs its user in", async () => {
    const stdin = new PassThrough();
    stdin.end("pencil\n");
    let printed = "";
    expect(await hashCommand(["--algorithm", "scram-sha-256", "user"], { stdin, stdout: { write: (t: string) => (printed += t) }, stderr: { write: () => true } })).toBe(0);
    expect(printed).toMatch(/^user:SCRAM-SHA-256\$4096:/);
    const checker = (await makeChecker(`scram-file:${writeKeys("hashed-by-cli", [printed.trim()])}`)) as ScramKeysFileChecker;
    const client = scramClient("user", "pencil");
    const { challenge, final: serverFinal } = await checker.answerChallengeQuery({ mechanism: "scram-sha-256", message: client.first });
    const final = client.final(String(challenge));
    expect(await checker.requestAvatarId(new ScramCredentials("user", `${client.first.slice(3)},${String(challenge)}`, final))).toBe("user");
    expect(client.verifyServer(String(serverFinal))).toBe(true);
  });
});
