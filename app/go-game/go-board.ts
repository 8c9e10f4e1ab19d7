/** Seed 002's `GoGame`: the rules of one Go game (alternating moves, captures, no suicide), with no notion of who is asking. */

export const BOARD_SIZE = 19;

/** The two sides, in the order players take their seats. */
export const Color = { black: "black", white: "white" } as const;
export type Color = (typeof Color)[keyof typeof Color];

/** A move the rules refuse; `message` is safe to show the player. */
export class IllegalMove extends Error {
  override readonly name = "IllegalMove";
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** What a move did to the board. */
export interface MoveResult {
  readonly captured: readonly Point[];
}

const opponent = (color: Color): Color => (color === Color.black ? Color.white : Color.black);
const SYMBOL: Record<Color, string> = { black: "X", white: "O" };

/**
 * One game on a `size`×`size` board. Black moves first; two passes in a row end the game.
 * No ko rule and no scoring: the seed only needs moves that alternate and cannot be forged.
 */
export class GoBoard {
  readonly #points: (Color | null)[];
  #toMove: Color = Color.black;
  #passes = 0;
  #moves = 0;

  constructor(readonly size: number = BOARD_SIZE) {
    if (!Number.isInteger(size) || size < 2 || size > 25) throw new RangeError("size must be an integer in 2..25");
    this.#points = new Array<Color | null>(size * size).fill(null);
  }

  get toMove(): Color {
    return this.#toMove;
  }

  get over(): boolean {
    return this.#passes >= 2;
  }

  get moves(): number {
    return this.#moves;
  }

  stoneAt(x: number, y: number): Color | null {
    return this.#points[this.#index(x, y)] ?? null;
  }

  /**
   * Plays `color` at (x, y) and removes the opponent's groups left without liberties.
   * Throws `IllegalMove` when the game is over, it is not `color`'s turn, the point is off the
   * board or occupied, or the stone would have no liberties (suicide).
   */
  play(color: Color, x: unknown, y: unknown): MoveResult {
    this.#checkTurn(color);
    if (!this.#onBoard(x) || !this.#onBoard(y)) {
      throw new IllegalMove(`coordinates must be integers from 0 to ${this.size - 1}`);
    }
    const at = this.#index(x, y);
    if (this.#points[at] !== null) throw new IllegalMove("that point is occupied");
    this.#points[at] = color;
    const captured: Point[] = [];
    for (const n of this.#neighbours(at)) {
      if (this.#points[n] === opponent(color)) {
        const group = this.#group(n);
        if (group.liberties === 0) {
          for (const s of group.stones) {
            this.#points[s] = null;
            captured.push(this.#point(s));
          }
        }
      }
    }
    if (captured.length === 0 && this.#group(at).liberties === 0) {
      this.#points[at] = null;
      throw new IllegalMove("suicide is not allowed");
    }
    this.#advance(false);
    return { captured };
  }

  /** Passes the turn; throws `IllegalMove` when it is not `color`'s turn or the game is over. */
  pass(color: Color): void {
    this.#checkTurn(color);
    this.#advance(true);
  }

  /** The board as text rows, top (y = 0) first: `X` black, `O` white, `.` empty. */
  rows(): string[] {
    const rows: string[] = [];
    for (let y = 0; y < this.size; y++) {
      let row = "";
      for (let x = 0; x < this.size; x++) {
        const stone = this.#points[y * this.size + x];
        row += stone ? SYMBOL[stone] : ".";
      }
      rows.push(row);
    }
    return rows;
  }

  #checkTurn(color: Color): void {
    if (this.over) throw new IllegalMove("the game is over");
    if (color !== this.#toMove) throw new IllegalMove("it is not your turn");
  }

  #advance(passed: boolean): void {
    this.#passes = passed ? this.#passes + 1 : 0;
    this.#moves += 1;
    this.#toMove = opponent(this.#toMove);
  }

  #onBoard(n: unknown): n is number {
    return typeof n === "number" && Number.isInteger(n) && n >= 0 && n < this.size;
  }

  #index(x: number, y: number): number {
    return y * this.size + x;
  }

  #point(index: number): Point {
    return { x: index % this.size, y: Math.floor(index / this.size) };
  }

  #neighbours(index: number): number[] {
    const { x, y } = this.#point(index);
    const out: number[] = [];
    if (x > 0) out.push(index - 1);
    if (x < this.size - 1) out.push(index + 1);
    if (y > 0) out.push(index - this.size);
    if (y < this.size - 1) out.push(index + this.size);
    return out;
  }

  /** The group of stones connected to `start`, and how many empty points touch it. */
  #group(start: number): { stones: number[]; liberties: number } {
    const color = this.#points[start];
    const stones: number[] = [];
    const seen = new Set<number>([start]);
    const liberties = new Set<number>();
    const stack = [start];
    while (stack.length > 0) {
      const at = stack.pop()!;
      stones.push(at);
      for (const n of this.#neighbours(at)) {
        if (this.#points[n] === null) liberties.add(n);
        else if (this.#points[n] === color && !seen.has(n)) {
          seen.add(n);
          stack.push(n);
        }
      }
    }
    return { stones, liberties: liberties.size };
  }
}
