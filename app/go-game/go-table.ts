/** The single-game server of seed 002: one board, two seats taken in login order, and everyone attached to it. */
import { BOARD_SIZE, Color, GoBoard, IllegalMove, type Point } from "./go-board.ts";
import type { GameMind } from "./game-mind.ts";

/** What `getBoard()` returns. */
export interface BoardView {
  readonly size: number;
  readonly rows: string[];
  readonly toMove: Color;
  readonly moves: number;
  readonly over: boolean;
  readonly black: string | null;
  readonly white: string | null;
}

/**
 * Holds the board and seats, and pushes every change to every attached GameMind (players and
 * spectators). It trusts the `color` it is given: only a perspective, which got its color from
 * the realm at login, ever passes one. Never hand a table to a client.
 */
export class GoTable {
  readonly #board: GoBoard;
  readonly #seats: Record<Color, string | null> = { black: null, white: null };
  readonly #watchers = new Set<GameMind>();
  /** Sessions of each seat's player now attached: `joined` when the first comes, `left` when the last goes. */
  readonly #present: Record<Color, number> = { black: 0, white: 0 };

  constructor(size: number = BOARD_SIZE) {
    this.#board = new GoBoard(size);
  }

  /** `player`'s seat: the one they already hold, else the next free one in login order; null when full. `attach` announces it. */
  seat(player: string): Color | null {
    for (const color of [Color.black, Color.white]) if (this.#seats[color] === player) return color;
    for (const color of [Color.black, Color.white]) {
      if (this.#seats[color] === null) {
        this.#seats[color] = player;
        return color;
      }
    }
    return null;
  }

  /**
   * A session joins the table: changes are pushed to `mind` (null: a session without one) from now
   * on. For a seat's player (`color`), the others hear `joined` when it is the first of the
   * player's sessions here: a player logging in again comes back to the seat, and says so.
   */
  attach(mind: GameMind | null, color?: Color): void {
    const player = color === undefined ? null : this.#seats[color];
    if (color !== undefined && this.#present[color]++ === 0 && player) this.#broadcast((m) => m.joined(color, player));
    if (mind) this.#watchers.add(mind);
  }

  /**
   * A session leaves: nothing more is pushed to `mind`. For a seat's player, the others hear
   * `left` when it was the last of the player's sessions here (an outside probe saw `left` for a
   * player whose second session went on playing, and no `joined` when one came back).
   */
  detach(mind: GameMind | null, color?: Color): void {
    if (mind) this.#watchers.delete(mind);
    const player = color === undefined ? null : this.#seats[color];
    if (color !== undefined && --this.#present[color] === 0 && player) this.#broadcast((m) => m.left(color, player));
  }

  get watchers(): number {
    return this.#watchers.size;
  }

  /** Plays for `color`; throws `IllegalMove` (also while the other seat is empty). */
  move(color: Color, x: unknown, y: unknown): { x: number; y: number; captured: readonly Point[] } {
    this.#checkOpponent();
    const { captured } = this.#board.play(color, x, y);
    const [px, py] = [x as number, y as number];
    const next = this.#board.toMove;
    this.#broadcast((m) => m.moved(px, py, color, captured, next));
    return { x: px, y: py, captured };
  }

  /** Passes for `color`; the second pass in a row ends the game. Throws `IllegalMove`. */
  pass(color: Color): void {
    this.#checkOpponent();
    this.#board.pass(color);
    const next = this.#board.toMove;
    this.#broadcast((m) => m.passed(color, next));
    if (this.#board.over) {
      const rows = this.#board.rows();
      this.#broadcast((m) => m.gameOver(rows));
    }
  }

  view(): BoardView {
    const b = this.#board;
    return { size: b.size, rows: b.rows(), toMove: b.toMove, moves: b.moves, over: b.over, ...this.#seats };
  }

  #checkOpponent(): void {
    if (this.#seats.black === null || this.#seats.white === null) throw new IllegalMove("waiting for an opponent");
  }

  #broadcast(send: (mind: GameMind) => void): void {
    for (const mind of this.#watchers) send(mind);
  }
}
