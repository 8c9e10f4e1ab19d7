/** A realm for tests that records every avatar it hands out and every logout. */
import { ANONYMOUS, type AvatarId } from "../../actors/checkers/checker.ts";
import { NoSuchInterface } from "../../actors/errors.ts";
import type { LoginResult, Mind, Realm } from "../../actors/realm.ts";

export class TestAvatar {
  loggedIn = true;
  logouts = 0;
  /** Which of its realm's avatars this is (0 for the first): a remote caller can ask with `number()`. */
  readonly serial: number;
  constructor(readonly name: AvatarId, readonly mind: Mind | null, serial = 0) {
    this.serial = serial;
  }
  number(): number {
    return this.serial;
  }
  logout(): void {
    this.loggedIn = false;
    this.logouts += 1;
  }
  announce(text: string): void {
    this.mind?.notify("announce", { text });
  }
  /** A result of `size` characters: past NATS's max_payload, it cannot be sent. */
  sized(size: number): string {
    return "y".repeat(size);
  }
  /** What JSON cannot say: `undefined`, a function or a symbol. */
  unsayable(kind: string): unknown {
    return kind === "function" ? () => 1 : kind === "symbol" ? Symbol("x") : undefined;
  }
  /** A notification whose text has `size` characters. */
  shout(size: number): void {
    this.mind?.notify("shout", { text: "y".repeat(size) });
  }
  whoami(): string {
    return this.name === ANONYMOUS ? "anonymous" : this.name;
  }
}

export class TestRealm implements Realm {
  readonly avatars: TestAvatar[] = [];
  constructor(readonly supported: readonly string[] = ["test.Testable"], private readonly delayMs = 0) {}

  async requestAvatar(avatarId: AvatarId, mind: Mind | null, ...interfaces: string[]): Promise<LoginResult> {
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const chosen = interfaces.find((i) => this.supported.includes(i));
    if (chosen === undefined) throw new NoSuchInterface();
    const avatar = new TestAvatar(avatarId, mind, this.avatars.length);
    this.avatars.push(avatar);
    return { interface: chosen, avatar, logout: () => avatar.logout() };
  }
}
