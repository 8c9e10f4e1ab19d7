/**
 * A challenge mechanism whose only checker service is down, over a real nats-server: asking for a
 * challenge and answering one get `LoginFailed` ("try again"), as a password login does, never
 * `UnhandledCredentials` (a client must not take an outage for "this mechanism is not supported").
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InMemoryUsernamePasswordDatabaseDontUse, serveChecker, servePortal, SimpleRealm, type PortalService } from "../../../actors/index.ts";
import type { Bus } from "../../../transports/bus.ts";
import { connectNatsBus } from "../../../transports/index.ts";
import { captureLogs } from "../../support/capture-logs.ts";
import { startNatsServer, type NatsServerHandle } from "../../support/nats-server.ts";
import { json, parse, waitFor } from "../../support/wire.ts";
import { PASSWORDS, passwordCases, type MechanismCase } from "./challenge.contract.ts";
import { remoteCases } from "./remote-cases.ts";

const NO_CHECKER = { code: "LoginFailed", message: "no checker available; try again" };

describe("challenge mechanisms whose only checker is down", () => {
  const remote = remoteCases();
  /** cram-md5, pb-md5, scram-sha-256, ssh-key (alice). */
  const cases: MechanismCase[] = [...passwordCases, ...remote.cases.slice(0, 2)];
  const logs = captureLogs();
  let server: NatsServerHandle;
  const buses: Bus[] = [];
  const portals: PortalService[] = [];
  let client: Bus;

  const bus = async () => {
    const b = await connectNatsBus({ servers: server.url });
    buses.push(b);
    return b;
  };
  const request = async (subject: string, body: unknown) => parse(await client.request(subject, json(body), { timeoutMs: 5000 }));

  /** A portal with no checker of its own, and every mechanism's checker served on `checkerBus`. */
  async function setUp(prefix: string) {
    const checkerBus = await bus();
    const checkers = [
      await serveChecker(checkerBus, new InMemoryUsernamePasswordDatabaseDontUse({ ...PASSWORDS }, { challenges: true }), { name: "passwords", prefix, logger: logs.logger }),
      ...(await remote.startCheckers(checkerBus, logs.logger, prefix)),
    ];
    const portal = await servePortal(await bus(), { realm: new SimpleRealm(), prefix, logger: logs.logger, rateLimiter: null, challenges: { host: "portal.test" } });
    portals.push(portal);
    const ask = (c: MechanismCase) => request(`${prefix}.challenge`, { mechanism: c.mechanism, ...c.start("alice") });
    const issue = async (c: MechanismCase) => {
      const reply = await ask(c);
      expect(reply).toMatchObject({ ok: true });
      return reply as { id: string; challenge: string };
    };
    const answer = (c: MechanismCase, issued: { id: string; challenge: string }) =>
      request(`${prefix}.challenge.${issued.id}`, { interfaces: ["echo"], mind: null, ...c.answer("alice", "good", issued.challenge) });
    const keyQuery = (id: string) => {
      const { username, algorithm, publicKey } = cases[3]!.answer("alice", "good", Buffer.alloc(32).toString("base64"));
      return request(`${prefix}.challenge.${id}`, { username, algorithm, publicKey });
    };
    const passwordLogin = () =>
      request(`${prefix}.login`, { credentials: { kind: "username-password", username: "alice", password: PASSWORDS.alice }, interfaces: ["echo"] });
    // Every mechanism works while its checker is up.
    for (const c of cases) {
      const reply = await answer(c, await issue(c));
      expect(reply).toMatchObject({ ok: true, avatarId: "alice" });
      await request(`${prefix}.session.${reply["session"]}.logout`, {});
    }
    /** In this order: answers to `open` (one per case), the key query, a password login, new challenges. */
    const outcomes = async (open: Array<{ id: string; challenge: string }>, queryId: string) => {
      const seen: Record<string, unknown> = {};
      for (const [i, c] of cases.entries()) seen[`answer ${c.mechanism}`] = (await answer(c, open[i]!))["error"];
      seen["ssh-key key query"] = (await keyQuery(queryId))["error"];
      seen["password login"] = (await passwordLogin())["error"];
      for (const c of cases) seen[`P.challenge ${c.mechanism}`] = (await ask(c))["error"];
      return seen;
    };
    return { checkerBus, checkers, portal, issue, outcomes };
  }
  const allNoChecker = () =>
    Object.fromEntries(
      [...cases.map((c) => `answer ${c.mechanism}`), "ssh-key key query", "password login", ...cases.map((c) => `P.challenge ${c.mechanism}`)].map((k) => [k, NO_CHECKER]),
    );

  beforeAll(async () => {
    server = await startNatsServer();
    client = await bus();
  });
  afterAll(async () => {
    for (const p of portals) await p.close();
    for (const b of buses) await b.close().catch(() => undefined);
    await server.stop();
    remote.cleanup();
  });

  it("answers LoginFailed, not UnhandledCredentials, for a new challenge and for an answer while the only checker is withdrawn (within its 30 s grace)", async () => {
    const { checkers, portal, issue, outcomes } = await setUp("withdrawn");
    const open = await Promise.all(cases.map((c) => issue(c)));
    const forQuery = await issue(cases[3]!);
    // A clean stop (a restart, say): each checker withdraws.
    for (const checker of checkers) await checker.stop();
    await waitFor(() => portal.portal.listCredentialsKinds().length === 0);

    // Challenges issued before: the answer (and ssh-key's key query) get what a password login
    // gets; and so does asking for a new challenge.
    expect(await outcomes(open, forQuery.id)).toEqual(allNoChecker());
  });

  it("answers LoginFailed, not UnhandledCredentials, for a new challenge and for an answer once the only checker's process died (no withdrawal)", async () => {
    const { checkerBus, issue, outcomes } = await setUp("killed");
    const open = await Promise.all(cases.map((c) => issue(c)));
    const forQuery = await issue(cases[3]!);
    // SIGKILL: the connection closes, nothing is withdrawn.
    await checkerBus.close();

    // Each answer finds its checker gone (no responders), and the portal drops it; after that,
    // the key query and new challenges must not call the mechanism unsupported.
    expect(await outcomes(open, forQuery.id)).toEqual(allNoChecker());
  });
});
