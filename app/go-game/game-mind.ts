/** `GameMind`: the adapter from the protocol's generic Mind to what a Go client is told (Twisted's `IGameMind(mind)`). */
import type { Mind } from "../../actors/realm.ts";
import type { Color, Point } from "./go-board.ts";

/** Every notification event a Go client receives, a closed set. */
export const GameEvent = {
  joined: "joined",
  left: "left",
  moved: "moved",
  passed: "passed",
  gameOver: "gameOver",
} as const;
export type GameEvent = (typeof GameEvent)[keyof typeof GameEvent];

/**
 * Wraps a session's Mind with the game's vocabulary, so the game never builds wire
 * notifications itself. Notifications to a Mind whose session is over are dropped by the Mind.
 */
export class GameMind {
  private constructor(private readonly mind: Mind) {}

  /** Adapts `mind` (already a `GameMind`: itself). */
  static adapt(mind: Mind | GameMind): GameMind {
    return mind instanceof GameMind ? mind : new GameMind(mind);
  }

  /** `player` took the `color` seat. */
  joined(color: Color, player: string): void {
    this.mind.notify(GameEvent.joined, { color, player });
  }

  /** The player holding `color` is no longer attached (logged out or timed out); the seat stays theirs. */
  left(color: Color, player: string): void {
    this.mind.notify(GameEvent.left, { color, player });
  }

  /** `player` placed a stone at (x, y); `next` is the side to move. */
  moved(x: number, y: number, player: Color, captured: readonly Point[], next: Color): void {
    this.mind.notify(GameEvent.moved, { player, x, y, captured, next });
  }

  passed(player: Color, next: Color): void {
    this.mind.notify(GameEvent.passed, { player, next });
  }

  /** Two passes in a row ended the game; `rows` is the final board. */
  gameOver(rows: readonly string[]): void {
    this.mind.notify(GameEvent.gameOver, { rows });
  }
}
