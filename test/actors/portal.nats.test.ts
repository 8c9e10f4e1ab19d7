/**
 * Twisted's cred tests (portal.contract.ts) with the checkers and the realm remote: each is served
 * on its own connection to a real nats-server, and the Portal reaches them through RemoteChecker
 * and RemoteRealm on a third connection.
 */
import { afterAll } from "vitest";
import type { CheckerService } from "../../actors/services/serve-checker.ts";
import { Portal } from "../../actors/portal.ts";
import { RemoteChecker } from "../../actors/services/remote-checker.ts";
import { RemoteRealm } from "../../actors/services/remote-realm.ts";
import { serveChecker } from "../../actors/services/serve-checker.ts";
import { serveRealm } from "../../actors/services/serve-realm.ts";
import { connectNatsBus } from "../../transports/index.ts";
import { startNatsServer, type NatsServerHandle } from "../support/nats-server.ts";
import { portalContract } from "./portal.contract.ts";

// One server for the file; each test gets fresh connections and service names.
let server: Promise<NatsServerHandle> | undefined;
afterAll(async () => {
  if (server) await (await server).stop();
});

let setups = 0;

portalContract("checker and realm remote over a real nats-server", async (realm) => {
  const { url } = await (server ??= startNatsServer());
  const [portalBus, checkerBus, realmBus] = await Promise.all([1, 2, 3].map(() => connectNatsBus({ servers: url })));
  const id = `${process.pid}_${++setups}`;
  const realmName = `realm_${id}`;
  const realmService = await serveRealm(realmBus!, realm, { name: realmName });
  const checkers: CheckerService[] = [];
  const portal = new Portal(new RemoteRealm(portalBus!, realmName));
  return {
    portal,
    realm,
    remote: true,
    async addChecker(checker, ...kinds) {
      const name = `checker_${id}_${checkers.length}`;
      checkers.push(await serveChecker(checkerBus!, checker, { name }));
      const remote = new RemoteChecker(portalBus!, name, kinds.length > 0 ? kinds : checker.credentialKinds);
      portal.registerChecker(remote);
      return remote;
    },
    async teardown() {
      await Promise.all([realmService, ...checkers].map((service) => service.stop()));
      await Promise.all([portalBus!, checkerBus!, realmBus!].map((bus) => bus.close()));
    },
  };
});
