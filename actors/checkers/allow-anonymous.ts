/** Twisted's `AllowAnonymousAccess`: anonymous credentials log in as `ANONYMOUS`. */
import { Anonymous } from "../credentials/anonymous.ts";
import { ANONYMOUS, type AvatarId, type Checker } from "./checker.ts";

export class AllowAnonymousAccess implements Checker {
  readonly credentialKinds: readonly string[] = [Anonymous.kind];

  requestAvatarId(): AvatarId {
    return ANONYMOUS;
  }
}
