/** Twisted's cred tests (portal.contract.ts) on the library face: Portal, checkers and realm in one process. */
import { Portal } from "../../actors/portal.ts";
import { portalContract } from "./portal.contract.ts";

portalContract("library face", async (realm) => {
  const portal = new Portal(realm);
  return {
    portal,
    realm,
    remote: false,
    async addChecker(checker, ...kinds) {
      portal.registerChecker(checker, ...kinds);
      return checker;
    },
    teardown: async () => undefined,
  };
});
