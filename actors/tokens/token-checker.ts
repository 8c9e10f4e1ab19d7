/** Checks `token` credentials against a TokenAuthority: the avatar id the token was issued for. */
import type { AvatarId, Checker } from "../checkers/checker.ts";
import type { Credentials } from "../credentials/credentials.ts";
import { TokenCredentials } from "../credentials/token.ts";
import { UnauthorizedLogin } from "../errors.ts";
import type { RevocationList } from "./revocation-list.ts";
import type { TokenAuthority } from "./token-authority.ts";

/** Rejects with `UnauthorizedLogin` for a bad, expired or revoked token. */
export class TokenChecker implements Checker {
  readonly credentialKinds: readonly string[] = [TokenCredentials.kind];

  constructor(readonly authority: TokenAuthority) {}

  async requestAvatarId(credentials: Credentials): Promise<AvatarId> {
    const token = credentials.toWire()["token"];
    if (typeof token !== "string" || token.length > 8192) throw new UnauthorizedLogin();
    return (await this.authority.verify(token)).avatarId;
  }
}

/** The revocation lists of the token checkers among `checkers`: what a revocation heard on the bus must reach. */
export function revocationListsOf(checkers: Iterable<Checker>): RevocationList[] {
  return [...checkers].filter((checker) => checker instanceof TokenChecker).map((checker) => checker.authority.revocations);
}
