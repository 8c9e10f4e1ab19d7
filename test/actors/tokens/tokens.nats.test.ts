/** Seed 003 over a real nats-server: log in once centrally, present the token at every game server; revocation ends its sessions. */
import { generateKeyPair } from "jose";
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  connect,
  InMemoryUsernamePasswordDatabaseDontUse,
  TokenCredentials,
  serveChecker,
  servePortal,
  TokenChecker,
  SimpleRealm,
  TokenAuthority,
  type PortalService,
  type Realm,
} from "../../../actors/index.ts";
import { waitFor } from "../../support/wire.ts";
import { connectNatsBus, NoResponders, type Bus } from "../../../transports/index.ts";
import { startNatsServer, type NatsServerHandle } from "../../support/nats-server.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const ask = async (bus: Bus, subject: string, body: unknown) =>
  JSON.parse(dec.decode(await bus.request(subject, enc.encode(JSON.stringify(body)), { timeoutMs: 5000 }))) as Record<string, any>;
const password = { kind: "username-password", username: "alice", password: "secret" };

/** A mind subject on `client` and the reasons of the `ended` messages it receives. */
function endingsOn(client: Bus): { mind: string; endings: string[] } {
  const mind = client.inbox();
  const endings: string[] = [];
  client.subscribe(mind, (m) => {
    const body = JSON.parse(dec.decode(m.data));
    if (body.type === "ended") endings.push(body.reason);
  });
  return { mind, endings };
}

describe("session tokens over NATS (seed 003)", () => {
  let server: NatsServerHandle;
  let buses: Bus[];
  let portals: PortalService[];
  const bus = async () => {
    const b = await connectNatsBus({ servers: server.url });
    buses.push(b);
    return b;
  };
  beforeEach(async () => {
    server = await startNatsServer();
    buses = [];
    portals = [];
  });
  /** A portal with alice's password that issues HS256 tokens under a secret of its own. */
  const portalIssuingTokens = async () => {
    const secret = randomBytes(32);
    const portal = await servePortal(await bus(), {
      realm: new SimpleRealm(),
      checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })],
      tokens: new TokenAuthority({ algorithm: "HS256", signingKey: secret, verifyingKey: secret }),
    });
    portals.push(portal);
    return portal;
  };
  afterEach(async () => {
    for (const p of portals) await p.close();
    for (const b of buses) await b.close();
    await server.stop();
  });

  it("accepts a token issued by the central portal at a game server that never sees the password", async () => {
    const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const central = await servePortal(await bus(), {
      prefix: "central",
      realm: new SimpleRealm(),
      checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })],
      tokens: new TokenAuthority({ algorithm: "EdDSA", signingKey: privateKey, verifyingKey: publicKey }),
    });
    // The game server holds only the public key and has no password checker at all.
    const game = await servePortal(await bus(), {
      prefix: "game2",
      realm: new SimpleRealm(),
      tokens: new TokenAuthority({ algorithm: "EdDSA", verifyingKey: publicKey }),
    });
    portals.push(central, game);
    const client = await bus();
    const first = await ask(client, "central.login", { credentials: password, interfaces: ["echo"], issueToken: true });
    expect(first).toMatchObject({ ok: true, avatarId: "alice", token: expect.any(String), tokenExpiresAt: expect.any(Number) });
    const second = await ask(client, "game2.login", { credentials: { kind: "token", token: first["token"] }, interfaces: ["echo"] });
    expect(second).toMatchObject({ ok: true, avatarId: "alice", interface: "echo" });
    expect(await ask(client, `game2.session.${second["session"]}.call`, { method: "whoami" })).toEqual({ ok: true, result: "alice" });
    const forged = await ask(client, "game2.login", { credentials: { kind: "token", token: `${first["token"]}x` }, interfaces: ["echo"] });
    expect(forged["error"]).toEqual({ code: "UnauthorizedLogin", message: "invalid credentials" });
    const noPassword = await ask(client, "game2.login", { credentials: password, interfaces: ["echo"] });
    expect(noPassword["error"].code).toBe("UnhandledCredentials");
  });

  it("ends every session a revoked token opened, at every portal, and refuses the token afterwards", async () => {
    const secret = randomBytes(32);
    const authority = () => new TokenAuthority({ algorithm: "HS256", signingKey: secret, verifyingKey: secret });
    const checkers = () => [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })];
    const a = await servePortal(await bus(), { realm: new SimpleRealm(), checkers: checkers(), tokens: authority() });
    const b = await servePortal(await bus(), { realm: new SimpleRealm(), checkers: checkers(), tokens: authority() });
    portals.push(a, b);
    const client = await bus();
    const { mind, endings } = endingsOn(client);
    const issued = await ask(client, "cred.login", { credentials: password, interfaces: ["echo"], mind, issueToken: true });
    // Logins with the token until both portals hold some: the queue group spreads them at random
    // (40 logins leave one chance in 2^39 that one portal gets none).
    let logins = 1;
    for (; logins < 41 && (a.sessions === 0 || b.sessions === 0); logins++) {
      expect((await ask(client, "cred.login", { credentials: { kind: "token", token: issued["token"] }, interfaces: ["echo"], mind }))["ok"]).toBe(true);
    }
    expect(a.sessions).toBeGreaterThan(0);
    expect(b.sessions).toBeGreaterThan(0);
    expect(a.sessions + b.sessions).toBe(logins);
    await a.tokens.revokeToken(issued["token"]);
    const until = Date.now() + 3000;
    while (endings.length < logins && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(endings).toEqual(Array(logins).fill("revoked"));
    expect(a.sessions + b.sessions).toBe(0);
    for (let i = 0; i < 4; i++) {
      const again = await ask(client, "cred.login", { credentials: { kind: "token", token: issued["token"] }, interfaces: ["echo"] });
      expect(again["error"].code).toBe("UnauthorizedLogin");
    }
  });

  it("tells a session without a Mind why it ended: SessionEnded carries `reason` (revoked), and the client library's `closed` says so", async () => {
    // An outside newcomer's revoked session, with no Mind to hear `ended`, reported `timeout`.
    const portal = await portalIssuingTokens();
    const client = await bus();
    const raw = await ask(client, "cred.login", { credentials: password, interfaces: ["echo"], issueToken: true });
    const library = await connect(client).login(new TokenCredentials(raw["token"]), { interfaces: ["echo"] });
    await portal.tokens.revokeToken(raw["token"]);
    await waitFor(() => portal.sessions === 0, 3_000);
    expect(await ask(client, `cred.session.${raw["session"]}.call`, { method: "echo", args: [1] })).toEqual({
      ok: false,
      error: { code: "SessionEnded", message: "session ended", reason: "revoked" },
    });
    await expect(library.call("echo", 1)).rejects.toMatchObject({ code: "SessionEnded", reason: "revoked" });
    expect(await library.closed).toBe("revoked");
  });

  it("answers a token login that asks for a token with that same token: a token never renews itself past its expiry or its revocation", async () => {
    const portal = await portalIssuingTokens();
    const client = await bus();
    const issued = await ask(client, "cred.login", { credentials: password, interfaces: ["echo"], issueToken: true });
    const renewed = await ask(client, "cred.login", { credentials: { kind: "token", token: issued["token"] }, interfaces: ["echo"], issueToken: true });
    expect(renewed).toMatchObject({ ok: true, avatarId: "alice", token: issued["token"], tokenExpiresAt: issued["tokenExpiresAt"] });
    await portal.tokens.revokeToken(issued["token"]);
    const after = await ask(client, "cred.login", { credentials: { kind: "token", token: renewed["token"] }, interfaces: ["echo"], issueToken: true });
    expect(after["error"]).toEqual({ code: "UnauthorizedLogin", message: "invalid credentials" });
  });

  it("ends, at game servers under other prefixes that only accept tokens, the sessions of a token revoked at the central portal", async () => {
    // The README's layout: `serve --tokens HS256:key` at `cred`, `serve --prefix game --auth
    // token:HS256:key` (a local token checker, no authority of its own), and a third portal whose
    // token checker is a service in another process (`portcullis checker --auth token:…`).
    const secret = randomBytes(32);
    const verifier = () => new TokenChecker(new TokenAuthority({ algorithm: "HS256", verifyingKey: secret }));
    const central = await servePortal(await bus(), {
      realm: new SimpleRealm(),
      checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })],
      tokens: new TokenAuthority({ algorithm: "HS256", signingKey: secret, verifyingKey: secret }),
    });
    const game = await servePortal(await bus(), { prefix: "game", realm: new SimpleRealm(), checkers: [verifier()] });
    const remoteChecker = await serveChecker(await bus(), verifier(), { name: "tokens", prefix: "game3" });
    const game3 = await servePortal(await bus(), { prefix: "game3", realm: new SimpleRealm() });
    portals.push(central, game, game3);
    const client = await bus();
    const { mind, endings } = endingsOn(client);
    const issued = await ask(client, "cred.login", { credentials: password, interfaces: ["echo"], issueToken: true });
    const token = { kind: "token", token: issued["token"] };
    for (const prefix of ["game", "game3"]) {
      expect(await ask(client, `${prefix}.login`, { credentials: token, interfaces: ["echo"], mind })).toMatchObject({ ok: true, avatarId: "alice" });
    }
    // A portal that only accepts tokens issues none.
    expect((await ask(client, "game.login", { credentials: token, interfaces: ["echo"], issueToken: true }))["error"].code).toBe("BadRequest");
    await central.tokens.revokeToken(issued["token"]);
    const until = Date.now() + 3000;
    while (endings.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(endings).toEqual(["revoked", "revoked"]);
    expect(game.sessions + game3.sessions).toBe(0);
    // Refused afterwards by the local checker and by the checker service alike.
    for (const prefix of ["game", "game3"]) {
      expect((await ask(client, `${prefix}.login`, { credentials: token, interfaces: ["echo"] }))["error"].code).toBe("UnauthorizedLogin");
    }
    await remoteChecker.stop();
  });

  it("takes a revocation published by hand on P.tokens.revoke, with expiresAt in JWT seconds as well as in ms", async () => {
    const secret = randomBytes(32);
    const game = await servePortal(await bus(), {
      prefix: "game",
      realm: new SimpleRealm(),
      checkers: [new TokenChecker(new TokenAuthority({ algorithm: "HS256", verifyingKey: secret }))],
    });
    portals.push(game);
    const issuer = new TokenAuthority({ algorithm: "HS256", signingKey: secret, verifyingKey: secret });
    const client = await bus();
    for (const unit of ["seconds", "ms"]) {
      const { token, claims } = await issuer.issue("alice");
      const login = await ask(client, "game.login", { credentials: { kind: "token", token }, interfaces: ["echo"] });
      expect(login["ok"]).toBe(true);
      const expiresAt = unit === "seconds" ? claims.expiresAt / 1000 : claims.expiresAt;
      // As a request: it is answered, so an operator's tool knows it arrived.
      expect(await ask(client, "game.tokens.revoke", { jti: claims.jti, expiresAt })).toEqual({ ok: true });
      // Ended: SessionEnded while it lingers, no-responders after; never silence.
      const call = await ask(client, `game.session.${login["session"]}.call`, { method: "whoami" }).then(
        (reply) => reply["error"]?.["code"],
        (error: unknown) => (error instanceof NoResponders ? "NoResponders" : String(error)),
      );
      expect(["SessionEnded", "NoResponders"]).toContain(call);
      expect((await ask(client, "game.login", { credentials: { kind: "token", token }, interfaces: ["echo"] }))["error"].code).toBe("UnauthorizedLogin");
    }
  });

  it("refuses a token login whose token is revoked while its realm is still answering, and logs out the avatar granted", async () => {
    const secret = randomBytes(32);
    let realmAsked!: () => void;
    const asked = new Promise<void>((resolve) => (realmAsked = resolve));
    let answerRealm!: () => void;
    const answer = new Promise<void>((resolve) => (answerRealm = resolve));
    let loggedOut = 0;
    const realm: Realm = {
      async requestAvatar(avatarId, mind, ...interfaces) {
        realmAsked();
        await answer;
        const granted = await new SimpleRealm().requestAvatar(avatarId, mind, ...interfaces);
        return { ...granted, logout: () => (loggedOut++, granted.logout()) };
      },
    };
    const game = await servePortal(await bus(), {
      prefix: "game",
      realm,
      checkers: [new TokenChecker(new TokenAuthority({ algorithm: "HS256", verifyingKey: secret }))],
    });
    portals.push(game);
    const { token, claims } = await new TokenAuthority({ algorithm: "HS256", signingKey: secret, verifyingKey: secret }).issue("alice");
    const client = await bus();
    const { mind, endings } = endingsOn(client);
    await client.flush();
    const login = ask(client, "game.login", { credentials: { kind: "token", token }, interfaces: ["echo"], mind });
    await asked;
    // The checker accepted the token before this; the realm has not answered yet.
    expect(await ask(client, "game.tokens.revoke", { jti: claims.jti, expiresAt: claims.expiresAt })).toEqual({ ok: true });
    answerRealm();
    expect((await login)["error"]).toEqual({ code: "UnauthorizedLogin", message: "invalid credentials" });
    await waitFor(() => loggedOut === 1 && game.sessions === 0);
    // A refused login has no session to end, for its client: its Mind hears nothing.
    await client.flush();
    expect(endings).toEqual([]);
  });

  it("keeps refusing a token whose revocation named an expiresAt before the token's own expiry (the revocation's time, say)", async () => {
    const secret = randomBytes(32);
    portals.push(
      await servePortal(await bus(), {
        prefix: "game",
        realm: new SimpleRealm(),
        checkers: [new TokenChecker(new TokenAuthority({ algorithm: "HS256", verifyingKey: secret }))],
      }),
    );
    const { token, claims } = await new TokenAuthority({ algorithm: "HS256", signingKey: secret, verifyingKey: secret }).issue("alice");
    const client = await bus();
    expect(await ask(client, "game.tokens.revoke", { jti: claims.jti, expiresAt: Date.now() - 1000 })).toEqual({ ok: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await ask(client, "game.login", { credentials: { kind: "token", token }, interfaces: ["echo"] }))["error"].code).toBe("UnauthorizedLogin");
  });

  it("refuses issueToken with BadRequest at a portal without a token authority", async () => {
    portals.push(await servePortal(await bus(), { realm: new SimpleRealm(), checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })] }));
    const reply = await ask(await bus(), "cred.login", { credentials: password, interfaces: ["echo"], issueToken: true });
    expect(reply["error"].code).toBe("BadRequest");
  });
});
