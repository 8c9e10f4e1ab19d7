/** The remedy for a shared client user: one NATS user per client, each confined to its own inbox prefix. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, InMemoryUsernamePasswordDatabaseDontUse, servePortal, SimpleRealm, UsernamePassword } from "../../actors/index.ts";
import { connectNatsBus, type NatsBus } from "../../transports/index.ts";
import { startNatsServer, type NatsServerHandle } from "../support/nats-server.ts";

const clientPermissions = (prefix: string) => `{
  publish: { allow: ["cred.login", "cred.session.*.call", "cred.session.*.ping", "cred.session.*.logout"] }
  subscribe: { allow: ["${prefix}.>"] }
}`;

describe("per-client inbox prefixes", () => {
  let server: NatsServerHandle;
  let dir: string;
  const buses: NatsBus[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "portcullis-inbox-"));
    const config = join(dir, "nats.conf");
    await writeFile(
      config,
      `authorization { users: [
        { user: service, password: service-pw }
        { user: bob, password: bob-pw, permissions: ${clientPermissions("_INBOX_bob")} }
        { user: mallory, password: mallory-pw, permissions: ${clientPermissions("_INBOX_mallory")} }
      ] }\n`,
    );
    server = await startNatsServer({ config });
  });
  afterAll(async () => {
    for (const b of buses) await b.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("logs a client in through its own prefix while another client cannot subscribe to it", async () => {
    const service = await connectNatsBus({ servers: server.url, user: "service", pass: "service-pw" });
    const bob = await connectNatsBus({ servers: server.url, user: "bob", pass: "bob-pw", inboxPrefix: "_INBOX_bob" });
    const mallory = await connectNatsBus({ servers: server.url, user: "mallory", pass: "mallory-pw", inboxPrefix: "_INBOX_mallory" });
    buses.push(service, bob, mallory);
    const portal = await servePortal(service, { realm: new SimpleRealm(), checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ bob: "pw" })] });
    try {
      expect(bob.inbox()).toMatch(/^_INBOX_bob\./);
      const errors: unknown[] = [];
      const statuses = (async () => {
        for await (const status of mallory.connection.status()) if (status.type === "error") errors.push(status.error);
      })();
      const overheard: string[] = [];
      mallory.subscribe("_INBOX_bob.>", (m) => void overheard.push(new TextDecoder().decode(m.data)));
      const notes: unknown[] = [];
      const session = await connect(bob).login(new UsernamePassword("bob", "pw"), { interfaces: ["echo"], mind: (n) => notes.push(n) });
      await session.call("announce", "for bob only");
      await new Promise((r) => setTimeout(r, 200));
      expect(notes).toHaveLength(1);
      expect(overheard).toEqual([]);
      expect(String(errors[0])).toMatch(/permissions violation for subscription to "_INBOX_bob\.>"/i);
      await session.logout();
      void statuses;
    } finally {
      await portal.close();
    }
  });
});
