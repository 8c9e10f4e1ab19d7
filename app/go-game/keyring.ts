/** Seed 002's keyring: which perspectives (interfaces of which service) each identity may take. */
import { ANONYMOUS, type AvatarId } from "../../actors/checkers/checker.ts";

/**
 * PB's `Identity.keyring` of (service, perspective) pairs, per avatarId. Here a key is an
 * interface name such as `go.Player`: the service is its namespace, the perspective its role.
 * The anonymous avatar holds no keys (nobody can add them: `ANONYMOUS` is not a string).
 */
export class Keyring {
  readonly #keys = new Map<string, Set<string>>();

  /** `{ alice: ["go.Player", "go.Spectator"], carol: ["go.Spectator"] }`. */
  constructor(keys: Readonly<Record<string, readonly string[]>> = {}) {
    for (const [avatarId, interfaces] of Object.entries(keys)) {
      for (const i of interfaces) this.addKey(avatarId, i);
    }
  }

  /** Twisted's `identity.addKeyByString(service, perspective)`. */
  addKey(avatarId: string, iface: string): void {
    let keys = this.#keys.get(avatarId);
    if (!keys) this.#keys.set(avatarId, (keys = new Set()));
    keys.add(iface);
  }

  removeKey(avatarId: string, iface: string): void {
    this.#keys.get(avatarId)?.delete(iface);
  }

  /** True when `avatarId` holds the key for `iface`. */
  allows(avatarId: AvatarId, iface: string): boolean {
    return avatarId !== ANONYMOUS && this.#keys.get(avatarId)?.has(iface) === true;
  }

  /** The interfaces `avatarId` may use, for display. */
  keysOf(avatarId: AvatarId): string[] {
    return avatarId === ANONYMOUS ? [] : [...(this.#keys.get(avatarId) ?? [])];
  }
}
