/**
 * `issueToken` on `P.challenge.ID`, over a real nats-server: the login fields of a challenge
 * answer are `P.login`'s, so a portal with a token authority puts a session token in the reply.
 * (A portal without one, and a non-boolean `issueToken`: the challenge contract.)
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InMemoryUsernamePasswordDatabaseDontUse, servePortal, SimpleRealm, TokenAuthority, type PortalService } from "../../../actors/index.ts";
import type { Bus } from "../../../transports/bus.ts";
import { connectNatsBus } from "../../../transports/index.ts";
import { captureLogs } from "../../support/capture-logs.ts";
import { startNatsServer, type NatsServerHandle } from "../../support/nats-server.ts";
import { json, parse } from "../../support/wire.ts";
import { PASSWORDS, passwordCases } from "./challenge.contract.ts";
import { remoteCases } from "./remote-cases.ts";

describe("issueToken on P.challenge.ID", () => {
  const remote = remoteCases();
  const logs = captureLogs();
  let server: NatsServerHandle;
  const buses: Bus[] = [];
  const stops: Array<{ stop(): Promise<void> }> = [];
  let portal: PortalService;
  let client: Bus;
  const request = async (subject: string, body: unknown) => parse(await client.request(subject, json(body), { timeoutMs: 5000 }));

  beforeAll(async () => {
    server = await startNatsServer();
    const bus = async () => {
      const b = await connectNatsBus({ servers: server.url });
      buses.push(b);
      return b;
    };
    stops.push(...(await remote.startCheckers(await bus(), logs.logger, "cred")));
    const key = randomBytes(32);
    portal = await servePortal(await bus(), {
      realm: new SimpleRealm(),
      checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ ...PASSWORDS }, { challenges: true })],
      tokens: new TokenAuthority({ algorithm: "HS256", signingKey: key, verifyingKey: key }),
      logger: logs.logger,
      rateLimiter: null,
      challenges: { host: "portal.test" },
    });
    client = await bus();
  });
  afterAll(async () => {
    await portal.close();
    for (const s of stops) await s.stop();
    for (const b of buses) await b.close();
    await server.stop();
    remote.cleanup();
  });

  for (const c of [...passwordCases, ...remote.cases.slice(0, 2)]) {
    it(`puts a session token in the reply to a ${c.mechanism} answer with issueToken: true, as P.login does`, async () => {
      const issued = await request("cred.challenge", { mechanism: c.mechanism, ...c.start("alice") });
      expect(issued).toMatchObject({ ok: true });
      const reply = await request(`cred.challenge.${issued["id"]}`, {
        interfaces: ["echo"],
        mind: null,
        issueToken: true,
        ...c.answer("alice", "good", issued["challenge"]),
      });
      expect(reply).toMatchObject({ ok: true, avatarId: "alice", token: expect.any(String), tokenExpiresAt: expect.any(Number) });
      c.verify?.(reply);
      // The token logs in on P.login like any token the portal issued.
      const resumed = await request("cred.login", { credentials: { kind: "token", token: reply["token"] }, interfaces: ["echo"] });
      expect(resumed).toMatchObject({ ok: true, avatarId: "alice" });
      for (const session of [reply["session"], resumed["session"]]) expect(await request(`cred.session.${session}.logout`, {})).toEqual({ ok: true });
    });
  }
});
