/** Services refuse a bus whose replyPrefixes would let a client's reply subject land on their own subjects. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AllowAnonymousAccess, serveChecker, servePortal, serveRealm, SimpleRealm } from "../../../actors/index.ts";
import { connectNatsBus, type NatsBus } from "../../../transports/index.ts";
import { startNatsServer, type NatsServerHandle } from "../../support/nats-server.ts";

describe("replyPrefixes that cover the services' own subjects", () => {
  let server: NatsServerHandle;
  const buses: NatsBus[] = [];
  const busAnswering = async (...replyPrefixes: string[]) => {
    const bus = await connectNatsBus({ servers: server.url, replyPrefixes });
    buses.push(bus);
    return bus;
  };

  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    for (const bus of buses) await bus.close();
    await server.stop();
  });

  it.each([
    ["the prefix itself", ["cred"], undefined],
    ["a subject under it (a reply there could be a release order)", ["cred.session"], undefined],
    ["a prefix above a dotted one", ["game"], "game.eu"],
    ["the token revocations' root", ["portcullis"], undefined],
  ])("refuses to serve a portal, a realm or a checker when they answer %s", async (_what, prefixes, prefix) => {
    const bus = await busAnswering(...prefixes);
    const options = prefix === undefined ? {} : { prefix };
    await expect(servePortal(bus, { realm: new SimpleRealm(), ...options })).rejects.toThrow(/covers the services' own subjects/);
    await expect(serveRealm(bus, new SimpleRealm(), { name: "echo", ...options })).rejects.toThrow(TypeError);
    await expect(serveChecker(bus, new AllowAnonymousAccess(), { name: "anonymous", ...options })).rejects.toThrow(TypeError);
  });

  it("serves with replyPrefixes elsewhere, including one that merely starts with the same letters, and answers requests whose replies go there", async () => {
    const bus = await busAnswering("game-replies", "credits");
    const portal = await servePortal(bus, { realm: new SimpleRealm(), checkers: [new AllowAnonymousAccess()] });
    try {
      for (const inboxPrefix of ["game-replies", "credits"]) {
        const client = await connectNatsBus({ servers: server.url, inboxPrefix, replyPrefixes: [inboxPrefix] });
        buses.push(client);
        const reply = JSON.parse(new TextDecoder().decode(await client.request("cred.login", new TextEncoder().encode(JSON.stringify({ credentials: { kind: "anonymous" }, interfaces: ["echo"] })), { timeoutMs: 2_000 })));
        expect(reply).toMatchObject({ ok: true, anonymous: true, interface: "echo" });
      }
    } finally {
      await portal.close();
    }
  });
});
