/** Every checker the contract runs over, with cheap hash parameters so the suite stays fast. */
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  AllowAnonymousAccess,
  ANONYMOUS,
  Anonymous,
  argon2id,
  bcrypt,
  FilePasswordDB,
  HashedPasswordChecker,
  hashFile,
  htpasswdChecker,
  InMemoryUsernamePasswordDatabaseDontUse,
  scrypt,
  CascadingChecker,
  ScramChecker,
  ScramCredentials,
  ScramKeysFileChecker,
  deriveScramKeys,
  formatScramSecret,
  scramClient,
  SSHKeyCredentials,
  SSHPublicKeyDatabase,
  sshKeySigner,
  type SSHKeySigner,
  TokenAuthority,
  TokenChecker,
  TokenCredentials,
  UsernameHashedPassword,
  UsernamePassword,
  type Credentials,
  type FilePasswordDBOptions,
  type PasswordHasher,
} from "../../../actors/index.ts";
import type { CheckerCase } from "./checker.contract.ts";
import { newKeyPair } from "../../support/key-pairs.ts";

const KEY = new TextEncoder().encode("contract-suite-token-key-32bytes!");
/** Tokens made once: a valid one, one from another key, one already expired. */
const TOKENS = await (async () => {
  const authority = new TokenAuthority({ algorithm: "HS256", signingKey: KEY, verifyingKey: KEY });
  const other = new TextEncoder().encode("another-key-entirely-32-bytes-long");
  const foreign = new TokenAuthority({ algorithm: "HS256", signingKey: other, verifyingKey: other });
  const past = new TokenAuthority({ algorithm: "HS256", signingKey: KEY, verifyingKey: KEY, now: () => Date.now() - 7_200_000 });
  return {
    authority,
    alice: (await authority.issue("alice")).token,
    foreign: (await foreign.issue("alice")).token,
    expired: (await past.issue("alice")).token,
  };
})();

const SCRAM_SALT = Buffer.from("contract-salt-16").toString("base64");

const SSH = {
  alice: sshKeySigner(newKeyPair("ed25519").privateKey),
  mallory: sshKeySigner(newKeyPair("ed25519").privateKey),
};

/** Low-cost hashers: the contract tests behaviour, not strength. */
export const cheap = {
  argon2id: argon2id({ memoryCost: 256, timeCost: 1 }),
  scrypt: scrypt({ ln: 4 }),
  bcrypt: bcrypt({ cost: 4 }),
} satisfies Record<string, PasswordHasher>;

/** Twisted's HashlessFilePasswordDBMixin users. */
export const USERS = [
  ["user1", "password1"],
  ["user2", "password2"],
  ["user3", "password3"],
] as const;

const UP = UsernamePassword.kind;
const UHP = UsernameHashedPassword.kind;

/**
 * Credentials of no library class, shaped as Twisted's test_derivedInterface's DerivedCredentials:
 * a derived kind before `username-password`, a `username`, a `password` and `checkPassword`.
 */
export function derivedCredentials(username: string, password: string): Credentials {
  const credentials = {
    username,
    password,
    kinds: ["test.derived", UP],
    checkPassword: (stored: string) => stored === password,
    toWire: () => ({ kind: UP, username, password }),
    toJSON: () => ({ kind: "test.derived", username }),
  };
  return credentials;
}
const hex = (text: string) => createHash("sha256").update(text).digest("hex");

/** Htpasswd lines made by Debian's `htpasswd` (apache2-utils 2.4): -m, -s and -B -C 4. */
export const HTPASSWD_VECTORS = {
  alice: ["secret", "$apr1$ZMNh0Prn$UXXYr3735AAUkdD68SD8T1"],
  bob: ["hunter2", "{SHA}87u9ZqY9S/F0eUBXjsPQEDUw4h0="],
  carol: ["pässwörd", "$2y$04$18gQWHOaKSNwxV4q0w.H2OvIbXR1TR4PfeULHRR.YrAF7e3qPZsjy"],
} as const;

function plainFile(name: string, line: (u: string, p: string) => string, options: FilePasswordDBOptions, usernameAs = (u: string) => u): CheckerCase {
  const hashed = options.hash !== undefined;
  return {
    name,
    make(dir) {
      const path = join(dir, "passwd");
      writeFileSync(path, USERS.map(([u, p]) => `${line(u, p)}\n`).join(""));
      return new FilePasswordDB(path, options);
    },
    kinds: hashed ? [UP] : [UP, UHP],
    good: USERS.flatMap(([u, p]) => [
      [new UsernamePassword(usernameAs(u), p), u] as const,
      [derivedCredentials(usernameAs(u), p), u] as const,
      ...(hashed ? [] : [[new UsernameHashedPassword(usernameAs(u), p), u] as const]),
    ]),
    wrongPassword: new UsernamePassword("user1", "password3"),
    unknownUser: new UsernamePassword("bloof", "blarf"),
    wrongKind: hashed ? new UsernameHashedPassword("user1", hex("password1")) : new Anonymous(),
  };
}

function hashedStore(name: string, hasher: PasswordHasher, source: "file" | "map"): CheckerCase {
  return {
    name,
    async make(dir) {
      const lines = await Promise.all(USERS.map(async ([u, p]) => [u, await hasher.hash(p)] as const));
      if (source === "map") return new HashedPasswordChecker(Object.fromEntries(lines), { hasher });
      const path = join(dir, "hashes");
      writeFileSync(path, lines.map(([u, h]) => `${u}:${h}\n`).join(""));
      return new HashedPasswordChecker(hashFile(path), { hasher });
    },
    kinds: [UP],
    // By shape too: a derived kind carrying the password, as Twisted's checkers take it.
    good: USERS.flatMap(([u, p]) => [[new UsernamePassword(u, p), u] as const, [derivedCredentials(u, p), u] as const]),
    wrongPassword: new UsernamePassword("user1", "password3"),
    unknownUser: new UsernamePassword("bloof", "blarf"),
    wrongKind: new UsernameHashedPassword("user1", "password1"),
  };
}

export const CHECKER_CASES: readonly CheckerCase[] = [
  {
    name: "InMemoryUsernamePasswordDatabaseDontUse",
    make: () => new InMemoryUsernamePasswordDatabaseDontUse(Object.fromEntries(USERS)),
    kinds: [UP, UHP],
    good: USERS.flatMap(([u, p]) => [
      [new UsernamePassword(u, p), u] as const,
      [new UsernameHashedPassword(u, p), u] as const,
      [derivedCredentials(u, p), u] as const,
    ]),
    wrongPassword: new UsernamePassword("user1", "password3"),
    unknownUser: new UsernamePassword("bloof", "blarf"),
    wrongKind: new Anonymous(),
  },
  plainFile("FilePasswordDB, user:password", (u, p) => `${u}:${p}`, {}),
  plainFile("FilePasswordDB, user:password, cached", (u, p) => `${u}:${p}`, { cache: true }),
  plainFile("FilePasswordDB, 'password dingle dongle user'", (u, p) => `${p} dingle dongle ${u}`, { delim: " ", usernameField: 3, passwordField: 0 }),
  plainFile(
    "FilePasswordDB, 'zip,zap,User,zup,password', case-insensitive",
    (u, p) => `zip,zap,${u[0]!.toUpperCase()}${u.slice(1)},zup,${p}`,
    { delim: ",", usernameField: 2, passwordField: 4, caseSensitive: false },
    (u) => u.toUpperCase(),
  ),
  // Twisted's LocallyHashedFilePasswordDBMixin, with SHA-256 hex instead of hexlify.
  plainFile("FilePasswordDB, hashed on disk", (u, p) => `${u}:${hex(p)}`, { hash: (_u, p) => hex(p) }),
  hashedStore("HashedPasswordChecker, argon2id file", cheap.argon2id, "file"),
  hashedStore("HashedPasswordChecker, scrypt file", cheap.scrypt, "file"),
  hashedStore("HashedPasswordChecker, bcrypt file", cheap.bcrypt, "file"),
  hashedStore("HashedPasswordChecker, argon2id map", cheap.argon2id, "map"),
  {
    name: "htpasswdChecker, apr1 + {SHA} + bcrypt lines",
    make(dir) {
      const path = join(dir, ".htpasswd");
      writeFileSync(path, Object.entries(HTPASSWD_VECTORS).map(([u, [, h]]) => `${u}:${h}\n`).join(""));
      return htpasswdChecker(path, { hasher: cheap.bcrypt });
    },
    kinds: [UP],
    good: Object.entries(HTPASSWD_VECTORS).map(([u, [p]]) => [new UsernamePassword(u, p), u] as const),
    wrongPassword: new UsernamePassword("alice", "hunter2"),
    unknownUser: new UsernamePassword("mallory", "secret"),
    wrongKind: new UsernameHashedPassword("alice", "secret"),
  },
  {
    name: "AllowAnonymousAccess",
    make: () => new AllowAnonymousAccess(),
    kinds: [Anonymous.kind],
    good: [[new Anonymous(), ANONYMOUS]],
    wrongKind: new UsernamePassword("user1", "password1"),
    reliesOnPortalForKinds: true,
  },
  {
    // Seed 004's setup: two in-memory checkers, tried in order.
    name: "CascadingChecker (seed 004: two in-memory checkers)",
    make: () => {
      const cascade = new CascadingChecker();
      cascade.registerChecker(new InMemoryUsernamePasswordDatabaseDontUse({ foo: "bar", boo: "far" }));
      cascade.registerChecker(new InMemoryUsernamePasswordDatabaseDontUse({ for: "bao" }));
      return cascade;
    },
    kinds: [UP, UHP],
    good: [
      [new UsernamePassword("foo", "bar"), "foo"],
      [new UsernamePassword("for", "bao"), "for"],
    ],
    wrongPassword: new UsernamePassword("for", "bar"),
    unknownUser: new UsernamePassword("steve", "pswd"),
    wrongKind: new Anonymous(),
  },
  {
    // "Wrong password": a token signed with another key; "unknown user": a token that expired.
    name: "TokenChecker (HS256)",
    make: () => new TokenChecker(TOKENS.authority),
    kinds: [TokenCredentials.kind],
    good: [[new TokenCredentials(TOKENS.alice), "alice"]],
    wrongPassword: new TokenCredentials(TOKENS.foreign),
    unknownUser: new TokenCredentials(TOKENS.expired),
    wrongKind: new UsernamePassword("alice", "secret"),
  },
  {
    // The exchange is built here as a client and the portal would: the checker's verification is stateless.
    name: "ScramChecker (scram-sha-256, stored keys only)",
    make: () => {
      const checker = new ScramChecker({ iterations: 16 });
      checker.addUser("alice", "pencil", { salt: SCRAM_SALT });
      return checker;
    },
    kinds: [ScramCredentials.kind],
    good: [[scramAnswer("alice", "pencil"), "alice"]],
    wrongPassword: scramAnswer("alice", "pen"),
    unknownUser: scramAnswer("mallory", "pencil"),
    wrongKind: new UsernamePassword("alice", "pencil"),
  },
  {
    name: "ScramKeysFileChecker (scram-sha-256, RFC 5803 keys in a file)",
    make: (dir) => {
      const path = join(dir, "scram-keys");
      writeFileSync(path, `# keys\nalice:${formatScramSecret(deriveScramKeys("pencil", SCRAM_SALT, 16))}\n`);
      return new ScramKeysFileChecker(path);
    },
    kinds: [ScramCredentials.kind],
    good: [[scramAnswer("alice", "pencil"), "alice"]],
    wrongPassword: scramAnswer("alice", "pen"),
    unknownUser: scramAnswer("mallory", "pencil"),
    wrongKind: new UsernamePassword("alice", "pencil"),
  },
  {
    name: "SSHPublicKeyDatabase (ssh-ed25519, authorized_keys file)",
    make: (dir) => {
      const path = join(dir, "authorized_keys");
      writeFileSync(path, `# alice's keys\n\nssh-ed25519 ${SSH.alice.publicKey} alice@laptop\nnot a key line\n`);
      return new SSHPublicKeyDatabase({ alice: path });
    },
    kinds: [SSHKeyCredentials.kind],
    good: [[sshAnswer("alice", SSH.alice), "alice"]],
    wrongPassword: sshAnswer("alice", SSH.mallory),
    unknownUser: sshAnswer("mallory", SSH.mallory),
    wrongKind: new UsernamePassword("alice", "x"),
  },
];


/** A client-final for a server-first the portal could have issued, with the user's real salt. */
function scramAnswer(username: string, password: string): ScramCredentials {
  const client = scramClient(username, password, "clientnonce");
  const serverFirst = `r=clientnonceSERVERnonce,s=${SCRAM_SALT},i=16`;
  return new ScramCredentials(username, `${client.first.slice(3)},${serverFirst}`, client.final(serverFirst));
}

function sshAnswer(username: string, signer: SSHKeySigner): SSHKeyCredentials {
  const challenge = randomBytes(32).toString("base64");
  return new SSHKeyCredentials(username, challenge, signer.algorithm, signer.publicKey, signer.sign(challenge));
}
