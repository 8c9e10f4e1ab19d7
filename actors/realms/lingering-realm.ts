/** Avatars that outlive one connection (PB's Perspective): a logged-out avatar waits a grace period for its user. */
import type { AvatarId } from "../checkers/checker.ts";
import { checkWholeNumber } from "../option-checks.ts";
import type { LoginResult, Mind, Realm } from "../realm.ts";

/** Hooks an avatar may have, as PB's `attached`/`detached`. */
interface Attachable {
  attached?(mind: Mind | null): void;
  detached?(): void;
}

interface Lingering {
  readonly grant: LoginResult;
  readonly timer: NodeJS.Timeout;
}

export interface LingeringRealmOptions {
  /** How long a detached avatar waits for its user to come back (default 30 s). */
  readonly graceMs?: number;
}

/**
 * Wraps a realm so that logging out only detaches the avatar: the same user logging in again
 * (with a token, a password, anything the checkers accept) within `graceMs`, for the same
 * interface, gets the very same avatar back, re-attached to the new Mind. After the grace period
 * the inner realm's logout runs, exactly once. Anonymous avatars never linger (nobody can come
 * back as the same anonymous user).
 */
export class LingeringRealm implements Realm {
  readonly #lingering = new Map<string, Lingering>();
  readonly #graceMs: number;

  constructor(private readonly inner: Realm, options: LingeringRealmOptions = {}) {
    this.#graceMs = options.graceMs ?? 30_000;
    checkWholeNumber("graceMs", this.#graceMs, 0);
  }

  /** How many detached avatars are waiting now. */
  get lingering(): number {
    return this.#lingering.size;
  }

  async requestAvatar(avatarId: AvatarId, mind: Mind | null, ...interfaces: string[]): Promise<LoginResult> {
    if (typeof avatarId === "string") {
      for (const iface of interfaces) {
        const key = `${iface}\u0000${avatarId}`;
        const waiting = this.#lingering.get(key);
        if (!waiting) continue;
        clearTimeout(waiting.timer);
        this.#lingering.delete(key);
        (waiting.grant.avatar as Attachable).attached?.(mind);
        return this.#wrap(avatarId, waiting.grant);
      }
    }
    const grant = await this.inner.requestAvatar(avatarId, mind, ...interfaces);
    (grant.avatar as Attachable).attached?.(mind);
    return typeof avatarId === "string" ? this.#wrap(avatarId, grant) : grant;
  }

  /** Ends every waiting avatar now (for shutdown). */
  async flush(): Promise<void> {
    const waiting = [...this.#lingering.values()];
    this.#lingering.clear();
    for (const { grant, timer } of waiting) {
      clearTimeout(timer);
      await grant.logout();
    }
  }

  #wrap(avatarId: string, grant: LoginResult): LoginResult {
    const key = `${grant.interface}\u0000${avatarId}`;
    let detached = false;
    return {
      interface: grant.interface,
      avatar: grant.avatar,
      logout: () => {
        if (detached) return;
        detached = true;
        (grant.avatar as Attachable).detached?.();
        const previous = this.#lingering.get(key);
        if (previous) {
          // Two sessions of one user detached: only one avatar can wait; the older one ends now.
          clearTimeout(previous.timer);
          void previous.grant.logout();
        }
        const timer = setTimeout(() => {
          if (this.#lingering.get(key)?.grant !== grant) return;
          this.#lingering.delete(key);
          void grant.logout();
        }, this.#graceMs);
        timer.unref();
        this.#lingering.set(key, { grant, timer });
      },
    };
  }
}
