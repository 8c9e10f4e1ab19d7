/** The client SDK's loginWithChallenge against a portal with local checkers, and the ssh-key query. */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  FilePasswordDB,
  InMemoryUsernamePasswordDatabaseDontUse,
  RemoteChecker,
  serveChecker,
  servePortal,
  SimpleRealm,
  UnauthorizedLogin,
  UnhandledCredentials,
  type Checker,
  type PortalService,
} from "../../../actors/index.ts";
import { sshKeySigner } from "../../../actors/client/challenge-answers.ts";
import { loginWithChallenge } from "../../../actors/client/challenge-login.ts";
import { connect } from "../../../actors/client/portal-client.ts";
import { ScramChecker } from "../../../actors/checkers/scram.ts";
import { SSHPublicKeyDatabase } from "../../../actors/checkers/ssh-keys.ts";
import { InvalidAuthArgumentString } from "../../../actors/strcred/errors.ts";
import { makeChecker } from "../../../actors/strcred/registry.ts";
import { InProcessNetwork } from "../../../transports/index.ts";
import { NoResponders } from "../../../transports/errors.ts";
import { captureLogs } from "../../support/capture-logs.ts";
import { waitFor } from "../../support/wire.ts";
import { newKeyPair } from "../../support/key-pairs.ts";

const enc = new TextEncoder();
const json = (value: unknown) => enc.encode(JSON.stringify(value));
const parse = (data: Uint8Array) => JSON.parse(new TextDecoder().decode(data)) as Record<string, any>;

describe("loginWithChallenge with local checkers", () => {
  const dir = mkdtempSync(join(tmpdir(), "portcullis-sdk-"));
  const ed = newKeyPair("ed25519");
  const rsa = newKeyPair("rsa", { modulusLength: 2048 });
  const stranger = newKeyPair("ed25519");
  const logs = captureLogs();
  let network: InProcessNetwork;
  let service: PortalService;

  beforeAll(async () => {
    const edSigner = sshKeySigner(ed.privateKey);
    const rsaSigner = sshKeySigner(rsa.privateKey.export({ format: "pem", type: "pkcs8" }).toString());
    writeFileSync(
      join(dir, "alice"),
      [`# comment`, ``, `ssh-ed25519 ${edSigner.publicKey} alice`, `ssh-rsa ${rsaSigner.publicKey}`, `garbage line here`, `ssh-rsa ${edSigner.publicKey} type-mismatch`].join("\n"),
    );
    const scram = new ScramChecker();
    scram.addUser("alice", "pw-alice");
    network = new InProcessNetwork();
    service = await servePortal(network.connect(), {
      realm: new SimpleRealm(),
      checkers: [
        new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw-alice" }, { challenges: true }),
        scram,
        new SSHPublicKeyDatabase({ alice: join(dir, "alice"), ghost: join(dir, "missing") }, { logger: logs.logger }),
      ],
      logger: logs.logger,
      discoverCheckers: false,
    });
  });
  afterAll(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts the login saga outside the challenge machine's own action (xstate warns nothing)", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const session = await loginWithChallenge(network.connect(), "cram-md5", { username: "alice", password: "pw-alice" }, { interfaces: ["echo"] });
      await session.logout();
      expect(warn.mock.calls.map((args) => String(args[0]))).toEqual([]);
    } finally {
      warn.mockRestore();
    }
  });

  for (const mechanism of ["cram-md5", "pb-md5", "scram-sha-256"]) {
    it(`logs in with ${mechanism} and refuses a wrong password with UnauthorizedLogin`, async () => {
      const bus = network.connect();
      const session = await loginWithChallenge(bus, mechanism, { username: "alice", password: "pw-alice" }, { interfaces: ["echo"] });
      expect(session.avatarId).toBe("alice");
      expect(await session.call("echo", "hi")).toBe("hi");
      await session.logout();
      await expect(
        loginWithChallenge(connect(bus), mechanism, { username: "alice", password: "nope" }, { interfaces: ["echo"] }),
      ).rejects.toBeInstanceOf(UnauthorizedLogin);
    });
  }

  it("logs in with ssh-key for an Ed25519 and an RSA key (PEM), and refuses an unlisted key", async () => {
    const bus = network.connect();
    for (const privateKey of [ed.privateKey, rsa.privateKey.export({ format: "pem", type: "pkcs8" }).toString()]) {
      const session = await loginWithChallenge(bus, "ssh-key", { username: "alice", privateKey }, { interfaces: ["echo"] });
      expect(session.avatarId).toBe("alice");
      await session.logout();
    }
    await expect(
      loginWithChallenge(bus, "ssh-key", { username: "alice", privateKey: stranger.privateKey }, { interfaces: ["echo"] }),
    ).rejects.toBeInstanceOf(UnauthorizedLogin);
    await expect(
      loginWithChallenge(bus, "ssh-key", { username: "ghost", privateKey: ed.privateKey }, { interfaces: ["echo"] }),
    ).rejects.toBeInstanceOf(UnauthorizedLogin);
  });

  it("answers an ssh-key query without a signature with keyAcceptable and keeps the challenge open", async () => {
    const bus = network.connect();
    const ask = async (subject: string, body: unknown) => parse(await bus.request(subject, json(body), { timeoutMs: 2000 }));
    const { id, challenge } = await ask("cred.challenge", { mechanism: "ssh-key" });
    const good = sshKeySigner(ed.privateKey);
    const other = sshKeySigner(stranger.privateKey);
    const subject = `cred.challenge.${id}`;
    expect(await ask(subject, { username: "alice", algorithm: good.algorithm, publicKey: good.publicKey })).toEqual({ ok: true, keyAcceptable: true });
    expect(await ask(subject, { username: "alice", algorithm: other.algorithm, publicKey: other.publicKey })).toEqual({ ok: true, keyAcceptable: false });
    // A key of another type than the algorithm names can never verify: BadRequest, the round stays open.
    expect(await ask(subject, { username: "alice", algorithm: "rsa-sha2-256", publicKey: good.publicKey })).toMatchObject({ ok: false, error: { code: "BadRequest" } });
    const reply = await ask(subject, {
      username: "alice",
      algorithm: good.algorithm,
      publicKey: good.publicKey,
      signature: good.sign(challenge),
      interfaces: ["echo"],
    });
    expect(reply).toMatchObject({ ok: true, avatarId: "alice" });
    await ask(`cred.session.${reply["session"]}.logout`, {});
  });

  it("refuses ssh-key fields that are not base64 with BadRequest and keeps the challenge open for a good answer", async () => {
    const bus = network.connect();
    const ask = async (subject: string, body: unknown) => parse(await bus.request(subject, json(body), { timeoutMs: 2000 }));
    const { id, challenge } = await ask("cred.challenge", { mechanism: "ssh-key" });
    const good = sshKeySigner(ed.privateKey);
    const subject = `cred.challenge.${id}`;
    const signature = good.sign(challenge);
    // A character of the URL-safe alphabet: a signature's base64url need not hold one.
    const urlSafe = `${signature.slice(0, 5)}_${signature.slice(6)}`;
    const answer = (fields: Record<string, string>) => ({ username: "alice", algorithm: good.algorithm, publicKey: good.publicKey, interfaces: ["echo"], ...fields });
    // Node's base64 decoder skips what is not base64: each of these decoded to the good signature.
    for (const bad of [`${signature.slice(0, 10)}!!!${signature.slice(10)}`, `%%%%${signature}`, urlSafe, "%%%%"]) {
      const reply = await ask(subject, answer({ signature: bad }));
      expect(reply).toMatchObject({ ok: false, error: { code: "BadRequest" } });
    }
    const query = await ask(subject, { username: "alice", algorithm: good.algorithm, publicKey: `${good.publicKey.slice(0, 8)}***${good.publicKey.slice(8)}` });
    expect(query).toMatchObject({ ok: false, error: { code: "BadRequest" } });
    const reply = await ask(subject, answer({ signature }));
    expect(reply).toMatchObject({ ok: true, avatarId: "alice" });
    await ask(`cred.session.${reply["session"]}.logout`, {});
  });

  it("rejects a mechanism no checker handles with UnhandledCredentials", async () => {
    await expect(
      loginWithChallenge(network.connect(), "cram-md5x", { username: "alice", password: "pw-alice" }, { interfaces: ["echo"] }),
    ).rejects.toBeInstanceOf(UnhandledCredentials);
  });

  it("logs bad authorized_keys lines and unreadable files by line number, never their content", () => {
    const warnings = logs.lines.map((l) => JSON.parse(l)).filter((r) => r.level === 40);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ line: 5, msg: "skipped a bad authorized_keys line" }),
        expect.objectContaining({ line: 6, msg: "skipped a bad authorized_keys line" }),
        expect.objectContaining({ err: "ENOENT", msg: "cannot read authorized_keys" }),
      ]),
    );
    expect(logs.lines.join("\n")).not.toContain("garbage line here");
    expect(logs.lines.join("\n")).not.toContain("pw-alice");
    // Checked at every attempt (several above); each bad line is told once while the file is unchanged.
    expect(warnings.filter((w) => w.msg === "skipped a bad authorized_keys line" && w.line === 5)).toHaveLength(1);
  });

  it("ends open challenges when the portal closes", async () => {
    const local = new InProcessNetwork();
    const portal = await servePortal(local.connect(), {
      realm: new SimpleRealm(),
      checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" }, { challenges: true })],
      discoverCheckers: false,
    });
    const bus = local.connect();
    const { id } = parse(await bus.request("cred.challenge", json({ mechanism: "pb-md5" })));
    await portal.close();
    await expect(bus.request(`cred.challenge.${id}`, json({ username: "alice", response: "00", interfaces: ["echo"] }))).rejects.toBeInstanceOf(
      NoResponders,
    );
  });
});

describe("cram-md5 and pb-md5 checked as username-hashed-password by the P.challenge service", () => {
  const dir = mkdtempSync(join(tmpdir(), "portcullis-uhp-"));
  const file = join(dir, "passwd");
  writeFileSync(file, "alice:pw-alice\n");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function portalWith(checkers: Checker[], network = new InProcessNetwork()) {
    const service = await servePortal(network.connect(), { realm: new SimpleRealm(), checkers, discoverCheckers: checkers.length === 0 });
    return { network, service };
  }

  it("issues and checks them with only a plaintext FilePasswordDB, or an in-memory checker without the challenges option", async () => {
    for (const checker of [new FilePasswordDB(file), new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw-alice" })]) {
      const { network, service } = await portalWith([checker]);
      try {
        for (const mechanism of ["cram-md5", "pb-md5"]) {
          const session = await loginWithChallenge(network.connect(), mechanism, { username: "alice", password: "pw-alice" }, { interfaces: ["echo"] });
          expect(session.avatarId).toBe("alice");
          await session.logout();
          await expect(
            loginWithChallenge(network.connect(), mechanism, { username: "alice", password: "wrong" }, { interfaces: ["echo"] }),
          ).rejects.toBeInstanceOf(UnauthorizedLogin);
        }
      } finally {
        await service.close();
      }
    }
  });

  it("answers No checker for … when the only checker stores hashes", async () => {
    const { network, service } = await portalWith([new FilePasswordDB(file, { hash: (_u, p) => p })]);
    try {
      const reply = parse(await network.connect().request("cred.challenge", json({ mechanism: "cram-md5" })));
      expect(reply).toEqual({ ok: false, error: { code: "UnhandledCredentials", message: "No checker for cram-md5" } });
    } finally {
      await service.close();
    }
  });

  it("refuses them at P.challenge when the checker for username-hashed-password is a service that did not announce them", async () => {
    // Its answers would reach the service with the wire kind cram-md5, which a checker service is
    // never sent unless it announced it (PROTOCOL.md): issuing the challenge would be a dead end.
    const network = new InProcessNetwork();
    const served = await serveChecker(network.connect(), new FilePasswordDB(file), { name: "file" });
    const { service } = await portalWith([], network);
    try {
      expect(service.portal.checkerFor({ kinds: ["username-hashed-password"] })).toBeInstanceOf(RemoteChecker);
      for (const mechanism of ["cram-md5", "pb-md5"]) {
        const reply = parse(await network.connect().request("cred.challenge", json({ mechanism })));
        expect(reply).toEqual({ ok: false, error: { code: "UnhandledCredentials", message: `No checker for ${mechanism}` } });
      }
      // A service that announces cram-md5 (in-memory with the challenges option) is used as before.
      const memory = await serveChecker(network.connect(), new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw-alice" }, { challenges: true }), { name: "memory" });
      try {
        await waitFor(() => service.portal.checkerFor({ kinds: ["cram-md5"] }) !== undefined);
        const session = await loginWithChallenge(network.connect(), "cram-md5", { username: "alice", password: "pw-alice" }, { interfaces: ["echo"] });
        await session.logout();
      } finally {
        await memory.stop();
      }
    } finally {
      await service.close();
      await served.stop();
    }
  });
});

describe("challenge checker factories", () => {
  it("makes an SSHPublicKeyDatabase from sshkey:user=path:… and rejects a malformed argstring", async () => {
    expect(await makeChecker("sshkey:alice=/tmp/a:bob=/tmp/b")).toBeInstanceOf(SSHPublicKeyDatabase);
    await expect(makeChecker("sshkey:alice")).rejects.toBeInstanceOf(InvalidAuthArgumentString);
    await expect(makeChecker("sshkey:")).rejects.toBeInstanceOf(InvalidAuthArgumentString);
  });

  it("makes a ScramChecker from scram:user:password:… and rejects an odd argstring", async () => {
    expect(await makeChecker("scram:alice:pw")).toBeInstanceOf(ScramChecker);
    await expect(makeChecker("scram:alice")).rejects.toBeInstanceOf(InvalidAuthArgumentString);
  });
});
