/** The README's code, run as written through the package's own name (`import … from "portcullis"`). */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  connect,
  connectNatsBus,
  InMemoryUsernamePasswordDatabaseDontUse,
  Portal,
  RemoteRealm,
  serveChecker,
  servePortal,
  serveRealm,
  SimplePerspective,
  SimpleRealm,
  UsernamePassword,
} from "portcullis";
import { startNatsServer } from "./support/nats-server.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("README examples", () => {
  it("runs the library-face example", async () => {
    const checker = new InMemoryUsernamePasswordDatabaseDontUse({ guest: "password" });
    const portal = new Portal(new SimpleRealm(), [checker]);
    const { interface: iface, avatar, logout } = await portal.login(new UsernamePassword("guest", "password"), null, "echo");
    expect(iface).toBe("echo");
    expect((avatar as SimplePerspective).loggedOut).toBe(false);
    await logout();
    expect((avatar as SimplePerspective).loggedOut).toBe(true);
  });

  it("runs the runtime-face example over a real nats-server", async () => {
    const server = await startNatsServer();
    const bus = await connectNatsBus({ servers: server.url });
    try {
      const checker = await serveChecker(bus, new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" }), { name: "players" });
      const realm = await serveRealm(bus, new SimpleRealm(), { name: "echo" });
      const portal = await servePortal(bus, { realm: new RemoteRealm(bus, "echo") });
      const notes: unknown[] = [];
      const session = await connect(bus).login(new UsernamePassword("alice", "pw"), {
        interfaces: ["echo"],
        mind: (n) => notes.push([n.event, n.data]),
      });
      expect(await session.call("echo", "hi")).toBe("hi");
      await session.call("announce", "hello");
      await session.logout();
      expect(await session.closed).toBe("logout");
      expect(notes).toEqual([["announce", { text: "hello" }]]);
      await portal.close();
      await realm.stop();
      await checker.stop();
    } finally {
      await bus.close();
      await server.stop();
    }
  });

  it("imports the built package by its name, as an installed user does (npm ci builds dist/)", () => {
    expect(existsSync(`${root}dist/index.js`), "dist/ is missing: run `npm run build` (npm ci runs it)").toBe(true);
    const out = execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { Portal, UsernamePassword, SimpleRealm, InMemoryUsernamePasswordDatabaseDontUse } from "portcullis";
         const portal = new Portal(new SimpleRealm(), [new InMemoryUsernamePasswordDatabaseDontUse({ guest: "password" })]);
         const r = await portal.login(new UsernamePassword("guest", "password"), null, "echo");
         console.log(r.interface, await r.avatar.perspective_echo("ok"));`,
      ],
      { cwd: root },
    ).toString();
    expect(out.trim()).toBe("echo ok");
  });

  it("imports the Go game as portcullis/go-game beside the package, so its refusals reach the client as AvatarError with their text", () => {
    const out = execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { connect, createInProcessBus, InMemoryUsernamePasswordDatabaseDontUse, servePortal, UsernamePassword } from "portcullis";
         import { GoInterface, GoRealm } from "portcullis/go-game";
         const bus = createInProcessBus();
         const realm = new GoRealm({ keyring: { alice: [GoInterface.player] } });
         await servePortal(bus, { realm, checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" })] });
         const session = await connect(bus).login(new UsernamePassword("alice", "pw"), { interfaces: [GoInterface.player] });
         const error = await session.call("move", 3, 3).catch((e) => e);
         console.log(error.code, error.message);
         await session.logout();
         await bus.drain();`,
      ],
      { cwd: root },
    ).toString();
    expect(out.trim()).toBe("AvatarError waiting for an opponent");
  });
});
