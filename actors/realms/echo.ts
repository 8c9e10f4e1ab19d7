/** Seed 001's `SimpleRealm` and `SimplePerspective`, under the interface `echo`: the demo's realm. */
import { ANONYMOUS, type AvatarId } from "../checkers/checker.ts";
import { NoSuchInterface } from "../errors.ts";
import type { LoginResult, Mind, Realm } from "../realm.ts";

export const ECHO_INTERFACE = "echo";

/** One user's avatar: echoes, and announces to its own Mind. */
export class SimplePerspective {
  loggedOut = false;

  constructor(readonly avatarId: AvatarId, private readonly mind: Mind | null) {}

  perspective_echo(x: unknown): unknown {
    return x;
  }

  /** Sends the notification `announce` with `{ text }` to the caller's Mind. */
  perspective_announce(text: unknown): void {
    this.mind?.notify("announce", { text: String(text) });
  }

  perspective_whoami(): string | null {
    return this.avatarId === ANONYMOUS ? null : this.avatarId;
  }

  logout(): void {
    this.loggedOut = true;
  }
}

/** Hands every user (anonymous ones too) a `SimplePerspective`; rejects other interfaces with `NoSuchInterface`. */
export class SimpleRealm implements Realm {
  requestAvatar(avatarId: AvatarId, mind: Mind | null, ...interfaces: string[]): LoginResult<SimplePerspective> {
    if (!interfaces.includes(ECHO_INTERFACE)) throw new NoSuchInterface();
    const avatar = new SimplePerspective(avatarId, mind);
    return { interface: ECHO_INTERFACE, avatar, logout: () => avatar.logout() };
  }
}
