/** `GoRealm`: seed 002's Go server as a realm, handing each login a perspective chosen through the keyring. */
import { ANONYMOUS, type AvatarId } from "../../actors/checkers/checker.ts";
import { NoSuchInterface } from "../../actors/errors.ts";
import type { LoginResult, Mind, Realm } from "../../actors/realm.ts";
import { GameMind } from "./game-mind.ts";
import { GoTable } from "./go-table.ts";
import { Keyring } from "./keyring.ts";
import { GoPlayer, GoSpectator } from "./perspectives.ts";

/** The interfaces (perspectives) this realm provides. */
export const GoInterface = { player: "go.Player", spectator: "go.Spectator" } as const;
export type GoInterface = (typeof GoInterface)[keyof typeof GoInterface];

const SUPPORTED = new Set<string>(Object.values(GoInterface));

export interface GoRealmOptions {
  /** Who may take which perspective. */
  readonly keyring: Keyring | Readonly<Record<string, readonly string[]>>;
  /** The game; a fresh 19×19 table when absent. */
  readonly table?: GoTable;
}

/**
 * One game. For each login it walks the requested interfaces in the client's order and grants
 * the first one the realm supports and the identity holds a key for (a player also needs a
 * free or already-owned seat). The avatar is built per login with the avatarId and seat inside:
 * nothing a client sends later can change them. Rejects with `NoSuchInterface` otherwise.
 */
export class GoRealm implements Realm {
  readonly table: GoTable;
  readonly keyring: Keyring;

  constructor(options: GoRealmOptions) {
    this.keyring = options.keyring instanceof Keyring ? options.keyring : new Keyring(options.keyring);
    this.table = options.table ?? new GoTable();
  }

  requestAvatar(avatarId: AvatarId, mind: Mind | null, ...interfaces: string[]): LoginResult<GoPlayer | GoSpectator> {
    let full = false;
    for (const iface of interfaces) {
      if (!SUPPORTED.has(iface) || avatarId === ANONYMOUS || !this.keyring.allows(avatarId, iface)) continue;
      let avatar: GoPlayer | GoSpectator;
      if (iface === GoInterface.player) {
        const color = this.table.seat(avatarId);
        if (color === null) {
          full = true;
          continue;
        }
        avatar = new GoPlayer(this.table, avatarId, color);
      } else {
        avatar = new GoSpectator(this.table, avatarId);
      }
      avatar.attached(mind === null ? null : GameMind.adapt(mind));
      let detached = false;
      const logout = () => {
        if (detached) return;
        detached = true;
        avatar.detached();
      };
      return { interface: iface, avatar, logout };
    }
    throw new NoSuchInterface(full ? "the game is full" : undefined);
  }
}
