/** Seed 002's Go game as a Portcullis realm: rules, table, perspectives, keyring and the GameMind adapter. */
export { BOARD_SIZE, Color, GoBoard, IllegalMove, type MoveResult, type Point } from "./go-board.ts";
export { GameEvent, GameMind } from "./game-mind.ts";
export { GoInterface, GoRealm, type GoRealmOptions } from "./go-realm.ts";
export { GoTable, type BoardView } from "./go-table.ts";
export { Keyring } from "./keyring.ts";
export { GoPlayer, GoSpectator } from "./perspectives.ts";
