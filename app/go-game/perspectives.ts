/** The Go game's avatars (PB perspectives): a player bound to one seat, and a spectator. */
import { AvatarError } from "../../actors/errors.ts";
import { IllegalMove, type Color, type Point } from "./go-board.ts";
import type { GameMind } from "./game-mind.ts";
import type { BoardView, GoTable } from "./go-table.ts";

/**
 * Remotely callable: only the `perspective_*` methods. Everything else is a `#private` field,
 * a getter, or a lifecycle hook the runtime keeps out of reach (`attached`, `detached`), so a
 * client naming `table`, `color` or `constructor` gets `NoSuchMethod`.
 */
abstract class GoPerspective {
  readonly #table: GoTable;
  #mind: GameMind | null = null;
  #attached = false;

  constructor(table: GoTable, readonly avatarId: string) {
    this.#table = table;
  }

  protected get table(): GoTable {
    return this.#table;
  }

  /** The seat this perspective plays, if any: given at login, never by a caller. */
  protected abstract get seat(): Color | undefined;

  perspective_getBoard(): BoardView {
    return this.#table.view();
  }

  /** PB's `Perspective.attached`: a client's Mind (or none) is now connected to this perspective. */
  attached(mind: GameMind | null): void {
    if (this.#attached) return;
    this.#attached = true;
    this.#mind = mind;
    this.#table.attach(mind, this.seat);
  }

  /** PB's `Perspective.detached`: the session ended (logout, timeout, revoked, shutdown). */
  detached(): void {
    if (!this.#attached) return;
    this.#attached = false;
    this.#table.detach(this.#mind, this.seat);
    this.#mind = null;
  }
}

/** Black's or White's perspective. Its color comes from the realm at login, never from an argument. */
export class GoPlayer extends GoPerspective {
  readonly #color: Color;

  constructor(table: GoTable, avatarId: string, color: Color) {
    super(table, avatarId);
    this.#color = color;
  }

  get color(): Color {
    return this.#color;
  }

  protected get seat(): Color {
    return this.#color;
  }

  /**
   * Places this player's stone. Rejects with `AvatarError` for an illegal move or for any
   * argument beyond (x, y): a caller naming a player is refused, not silently ignored.
   */
  perspective_move(x: unknown, y: unknown, ...extra: unknown[]): { x: number; y: number; captured: readonly Point[] } {
    if (extra.length > 0) throw new AvatarError("move takes exactly (x, y): your seat comes from your session");
    return rules(() => this.table.move(this.#color, x, y));
  }

  /** Passes this player's turn. Rejects with `AvatarError`, like `move`. */
  perspective_pass(...extra: unknown[]): null {
    if (extra.length > 0) throw new AvatarError("pass takes no arguments: your seat comes from your session");
    return rules(() => (this.table.pass(this.#color), null));
  }

  /** Who this session plays as. */
  perspective_whoami(): { player: string; color: Color } {
    return { player: this.avatarId, color: this.#color };
  }
}

/** Watches the game: sees the board and every push, cannot move. */
export class GoSpectator extends GoPerspective {
  protected get seat(): undefined {
    return undefined;
  }
}

function rules<T>(play: () => T): T {
  try {
    return play();
  } catch (error) {
    // The rules' messages are written for players; anything else stays generic (runtime default).
    if (error instanceof IllegalMove) throw new AvatarError(error.message);
    throw error;
  }
}
