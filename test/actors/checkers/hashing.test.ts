/** The hash algorithms (actors/hashing): known vectors, PHC parsing, rehash policy, and staying off the event loop. */
import { scryptSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { apr1, apr1Digest, argon2id, bcrypt, HashGate, LoginFailed, scrypt, sha1, verifierFor, type PasswordHasher } from "../../../actors/index.ts";
import { HTPASSWD_VECTORS } from "./checker-cases.ts";

/** More lines made by Debian's `htpasswd` (apache2-utils 2.4) and `openssl passwd -apr1`. */
const APR1_VECTORS: ReadonlyArray<readonly [string, string]> = [
  ["$apr1$ZMNh0Prn$UXXYr3735AAUkdD68SD8T1", "secret"],
  ["$apr1$2Dfj483U$XD9EVXrUULMb4ucWyQNr30", "hunter2"],
  ["$apr1$K5XUhBTL$7XOEonothBool0mojtLZR.", "pässwörd"],
  ["$apr1$4kdUch0W$E2rtcy5NwA3X6Jn.LGURA0", "a".repeat(100)],
  ["$apr1$ac3ojvPC$10J1E14F6HQs3MtYJhjAa.", ""],
  ["$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/", "secret"],
];

// RFC 7914 §12: scrypt("password", "NaCl", N=1024, r=8, p=16, dkLen=64), in PHC form.
const RFC7914 =
  "$scrypt$ln=10,r=8,p=16$TmFDbA$" +
  Buffer.from(
    "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640",
    "hex",
  )
    .toString("base64")
    .replace(/=+$/, "");

/** The longest gap between ticks of a 2 ms interval while `work` runs. */
async function maxTickGap(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let max = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last);
    last = now;
  }, 2);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(max, performance.now() - last);
}

describe("hashing", () => {
  it("verifies Apache's $apr1$ vectors and refuses other passwords", async () => {
    for (const [stored, password] of APR1_VECTORS) {
      expect(verifierFor(stored)).toBe(apr1);
      expect(await apr1.verify(stored, password)).toBe(true);
      expect(await apr1.verify(stored, `${password}x`)).toBe(false);
    }
    expect(apr1Digest("secret", "abcdefgh")).toBe("h9FWgUz3n9YxylKLlR5SQ/");
  });

  it("verifies Apache's {SHA} and $2y$ lines", async () => {
    for (const [password, stored] of Object.values(HTPASSWD_VECTORS)) {
      const verifier = verifierFor(stored)!;
      expect(await verifier.verify(stored, password)).toBe(true);
      expect(await verifier.verify(stored, "wrong")).toBe(false);
    }
    expect(verifierFor("{SHA}87u9ZqY9S/F0eUBXjsPQEDUw4h0=")).toBe(sha1);
  });

  it("verifies the RFC 7914 scrypt vector written as a PHC string", async () => {
    expect(verifierFor(RFC7914)?.algorithm).toBe("scrypt");
    expect(await scrypt().verify(RFC7914, "password")).toBe(true);
    expect(await scrypt().verify(RFC7914, "Password")).toBe(false);
  });

  describe.each([
    ["argon2id", argon2id({ memoryCost: 256, timeCost: 1 }), argon2id({ memoryCost: 512, timeCost: 1 }), /^\$argon2id\$v=19\$m=256,t=1,p=1\$/],
    ["scrypt", scrypt({ ln: 4 }), scrypt({ ln: 5 }), /^\$scrypt\$ln=4,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/],
    ["bcrypt", bcrypt({ cost: 4 }), bcrypt({ cost: 5 }), /^\$2b\$04\$/],
  ] as const)("%s", (algorithm, hasher: PasswordHasher, stronger: PasswordHasher, format) => {
    it("makes salted PHC strings tagged with the algorithm that verify", async () => {
      const [a, b] = [await hasher.hash("pässwörd"), await hasher.hash("pässwörd")];
      expect(a).toMatch(format);
      expect(a).not.toBe(b);
      expect(verifierFor(a)?.algorithm).toBe(algorithm);
      expect(await hasher.verify(a, "pässwörd")).toBe(true);
      expect(await hasher.verify(a, "passwörd")).toBe(false);
    });

    it("wants a rehash only for weaker parameters or another algorithm", async () => {
      const stored = await hasher.hash("pw");
      expect(hasher.needsRehash(stored)).toBe(false);
      expect(stronger.needsRehash(stored)).toBe(true);
      expect(hasher.needsRehash(await stronger.hash("pw"))).toBe(false);
      expect(hasher.needsRehash("$apr1$ZMNh0Prn$UXXYr3735AAUkdD68SD8T1")).toBe(true);
    });

    it("resolves false for malformed hashes instead of rejecting", async () => {
      const stored = await hasher.hash("pw");
      for (const bad of [stored.slice(0, 12), `${stored}$x`, stored.replace(/.$/, "!"), "", "$argon2id$", "$scrypt$ln=99,r=8,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA"]) {
        expect(await hasher.verify(bad, "pw")).toBe(false);
      }
    });
  });

  it("does not take a stored hash that asks for more than the limits for a hash of its algorithm: a verify never starts on it", async () => {
    // An outside probe: one stored line of m=4294967295 made a verify allocate until the kernel
    // killed the process, and an unknown user's login (the store's decoy) set it off too.
    const valid = await argon2id({ memoryCost: 256, timeCost: 1 }).hash("pw");
    const [, , , , salt, tag] = valid.split("$");
    const argon = (params: string) => `$argon2id$v=19$${params}$${salt}$${tag}`;
    for (const params of ["m=4294967295,t=2,p=1", "m=1048577,t=1,p=1", "m=1048576,t=5,p=1", "m=65536,t=65,p=1", "m=19456,t=2,p=65"]) {
      expect(argon2id().recognizes(argon(params)), params).toBe(false);
      expect(verifierFor(argon(params)), params).toBeUndefined();
    }
    // At the limits: still hashes (libsodium's "sensitive" level: 1 GiB, 4 passes).
    for (const params of ["m=1048576,t=4,p=1", "m=65536,t=64,p=1", "m=19456,t=2,p=64"]) expect(argon2id().recognizes(argon(params)), params).toBe(true);
    const scryptSalt = "c2FsdHNhbHRzYWx0";
    const key = "A".repeat(43);
    for (const params of ["ln=21,r=8,p=1", "ln=20,r=9,p=1", "ln=10,r=1048576,p=1", "ln=14,r=8,p=17", "ln=20,r=8,p=5"]) {
      expect(verifierFor(`$scrypt$${params}$${scryptSalt}$${key}`), params).toBeUndefined();
    }
    expect(verifierFor(`$scrypt$ln=20,r=8,p=4$${scryptSalt}$${key}`)?.algorithm).toBe("scrypt");
    // bcrypt names its cost too: 2^31 rounds is about 11 hours a verify.
    const bcryptRest = "SzlMlJYJ0d8Zt5N0gRLPPeIHDEDSkDTNWGN5DPq4sWPgUzQnWBVOS";
    for (const cost of ["17", "20", "31"]) expect(verifierFor(`$2b$${cost}$${bcryptRest}`), cost).toBeUndefined();
    expect(verifierFor(`$2b$16$${bcryptRest}`)?.algorithm).toBe("bcrypt");
  });

  it("refuses to be configured beyond the limits its own verify keeps to", () => {
    expect(() => argon2id({ memoryCost: 2_000_000 })).toThrow(RangeError);
    expect(() => argon2id({ memoryCost: 1_048_576, timeCost: 5 })).toThrow(RangeError);
    expect(() => argon2id({ parallelism: 65 })).toThrow(RangeError);
    expect(() => scrypt({ ln: 21 })).toThrow(RangeError);
    expect(() => scrypt({ ln: 20, r: 16 })).toThrow(RangeError);
    expect(() => scrypt({ p: 17 })).toThrow(RangeError);
    expect(() => scrypt({ ln: 20, p: 5 })).toThrow(RangeError);
    expect(() => bcrypt({ cost: 17 })).toThrow(RangeError);
    expect(() => argon2id({ memoryCost: 1_048_576, timeCost: 4 })).not.toThrow();
  });

  it("wants no rehash of a hash stronger in one cost and weaker in another: the configured one would weaken it", async () => {
    const configured = argon2id({ memoryCost: 512, timeCost: 2 });
    expect(configured.needsRehash(await argon2id({ memoryCost: 1024, timeCost: 1 }).hash("pw"))).toBe(false);
    expect(configured.needsRehash(await argon2id({ memoryCost: 256, timeCost: 3 }).hash("pw"))).toBe(false);
    expect(configured.needsRehash(await argon2id({ memoryCost: 256, timeCost: 2 }).hash("pw"))).toBe(true);
    const scryptConfigured = scrypt({ ln: 5, r: 8 });
    expect(scryptConfigured.needsRehash(await scrypt({ ln: 6, r: 4 }).hash("pw"))).toBe(false);
    expect(scryptConfigured.needsRehash(await scrypt({ ln: 4, r: 8 }).hash("pw"))).toBe(true);
  });

  it("does not take an argon2id hash cut short for a hash: no cut of its tag is a tag of 16, 32 or 64 bytes in canonical base64", async () => {
    const hasher = argon2id({ memoryCost: 256, timeCost: 1 });
    for (let i = 0; i < 5; i++) {
      const stored = await hasher.hash("pw");
      expect(hasher.recognizes(stored)).toBe(true);
      const tag = stored.slice(stored.lastIndexOf("$") + 1);
      expect(tag).toHaveLength(43);
      for (let cut = 1; cut < tag.length; cut++) {
        const left = tag.length - cut;
        // Only 22 characters can still be a (16-byte) tag, when the last one's spare bits are zero.
        const couldBeATag = left === 22 && Buffer.from(tag.slice(0, 22), "base64").toString("base64").replace(/=+$/, "") === tag.slice(0, 22);
        expect(hasher.recognizes(stored.slice(0, stored.length - cut))).toBe(couldBeATag);
      }
    }
  });

  it.each([
    // Long enough (~100–200 ms) that a blocking verify shows as one gap of that size even when
    // other processes' scheduling adds gaps of tens of milliseconds.
    ["argon2id", argon2id({ memoryCost: 65_536, timeCost: 6 })],
    ["scrypt", scrypt({ ln: 16 })],
    ["bcrypt", bcrypt({ cost: 12 })],
  ] as const)("keeps the event loop ticking while %s verifies", async (_name, hasher) => {
    const stored = await hasher.hash("pw");
    const started = performance.now();
    const gap = await maxTickGap(async () => expect(await hasher.verify(stored, "pw")).toBe(true));
    const elapsed = performance.now() - started;
    // One verification of tens of milliseconds: run on the loop, it would be one gap as long.
    expect(elapsed).toBeGreaterThan(60);
    expect(gap).toBeLessThan(Math.max(20, elapsed / 2));
  });

  it("measures a stall when hashing does block the loop (control for the test above)", async () => {
    const gap = await maxTickGap(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      scryptSync("pw", "salt", 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    });
    expect(gap).toBeGreaterThan(30);
  });
});

describe("a hash the gate refuses under load", () => {
  it.each([
    ["argon2id", (gate: HashGate) => argon2id({ memoryCost: 19_456, timeCost: 2 }, { gate })],
    ["bcrypt", (gate: HashGate) => bcrypt({ cost: 8 }, { gate })],
    ["scrypt", (gate: HashGate) => scrypt({ ln: 14 }, { gate })],
  ] as const)("is LoginFailed ('overloaded') from %s's verify, never a mismatch: a correct password must not read as wrong (an outside probe saw 46 in 100 refused as UnauthorizedLogin)", async (_name, make) => {
    const setup = make(new HashGate(4));
    const stored = await setup.hash("right");
    // One slot, and a hash may wait 1 ms for it: the second verify waits longer than that.
    const hasher = make(new HashGate(1, { maxWaitMs: 1 }));
    const [first, second] = await Promise.allSettled([hasher.verify(stored, "right"), hasher.verify(stored, "right")]);
    expect(first).toEqual({ status: "fulfilled", value: true });
    expect(second.status === "rejected" && second.reason).toBeInstanceOf(LoginFailed);
    // A hash the library cannot read is still a mismatch.
    await expect(make(new HashGate(1)).verify(stored.slice(0, -4) + "!!!!", "right")).resolves.toBe(false);
  });
});
