/** The Go realm alone (unit tier): rules, the GameMind adapter, the keyring, seats and the perspectives' reachable surface. */
import { describe, expect, it } from "vitest";
import { ANONYMOUS } from "../../actors/checkers/checker.ts";
import { AvatarError, NoSuchInterface, NoSuchMethod } from "../../actors/errors.ts";
import type { Mind } from "../../actors/realm.ts";
import { callAvatar } from "../../actors/services/avatar-methods.ts";
import { GameMind, GoBoard, GoInterface, GoPlayer, GoRealm, GoSpectator, IllegalMove, Keyring } from "../../app/go-game/index.ts";

class RecordingMind implements Mind {
  readonly events: Array<{ event: string; data: unknown }> = [];
  notify(event: string, data?: unknown): void {
    this.events.push({ event, data });
  }
}

const KEYS = {
  alice: [GoInterface.player, GoInterface.spectator],
  bob: [GoInterface.player, GoInterface.spectator],
  carol: [GoInterface.spectator],
  dave: [GoInterface.player],
};
const call = (avatar: unknown, method: string, ...args: unknown[]) => callAvatar(avatar, method, args, () => undefined);

describe("GoBoard", () => {
  it("should alternate black and white and refuse an occupied point", () => {
    const board = new GoBoard();
    board.play("black", 3, 3);
    expect(() => board.play("black", 4, 4)).toThrow(new IllegalMove("it is not your turn"));
    expect(() => board.play("white", 3, 3)).toThrow(new IllegalMove("that point is occupied"));
    board.play("white", 4, 4);
    expect(board.stoneAt(3, 3)).toBe("black");
    expect(board.stoneAt(4, 4)).toBe("white");
    expect(board.rows()[3]![3]).toBe("X");
  });

  it("should refuse points off the board and non-integer coordinates", () => {
    const board = new GoBoard();
    for (const [x, y] of [[-1, 0], [19, 0], [0, 19], [1.5, 2], ["3", 3], [null, 1]] as const) {
      expect(() => board.play("black", x, y)).toThrow(IllegalMove);
    }
    expect(board.moves).toBe(0);
  });

  it("should capture a stone left without liberties and refuse suicide", () => {
    const board = new GoBoard(5);
    // White at (1,1) surrounded by black on four sides.
    board.play("black", 1, 0);
    board.play("white", 1, 1);
    board.play("black", 0, 1);
    board.play("white", 4, 4);
    board.play("black", 2, 1);
    board.play("white", 4, 3);
    expect(board.play("black", 1, 2).captured).toEqual([{ x: 1, y: 1 }]);
    expect(board.stoneAt(1, 1)).toBeNull();
    // White playing back into the eye would have no liberties and captures nothing.
    expect(() => board.play("white", 1, 1)).toThrow(new IllegalMove("suicide is not allowed"));
    expect(board.stoneAt(1, 1)).toBeNull();
  });

  it("should end the game after two passes in a row", () => {
    const board = new GoBoard();
    board.pass("black");
    board.pass("white");
    expect(board.over).toBe(true);
    expect(() => board.play("black", 0, 0)).toThrow(new IllegalMove("the game is over"));
  });
});

describe("GameMind", () => {
  it("should adapt a Mind into the game's notifications", () => {
    const mind = new RecordingMind();
    const game = GameMind.adapt(mind);
    expect(GameMind.adapt(game)).toBe(game);
    game.moved(3, 4, "black", [], "white");
    game.passed("white", "black");
    game.joined("white", "bob");
    game.left("white", "bob");
    game.gameOver(["."]);
    expect(mind.events).toEqual([
      { event: "moved", data: { player: "black", x: 3, y: 4, captured: [], next: "white" } },
      { event: "passed", data: { player: "white", next: "black" } },
      { event: "joined", data: { color: "white", player: "bob" } },
      { event: "left", data: { color: "white", player: "bob" } },
      { event: "gameOver", data: { rows: ["."] } },
    ]);
  });
});

describe("Keyring", () => {
  it("should grant only the keys added, and none to the anonymous avatar", () => {
    const keyring = new Keyring({ carol: [GoInterface.spectator] });
    expect(keyring.allows("carol", GoInterface.spectator)).toBe(true);
    expect(keyring.allows("carol", GoInterface.player)).toBe(false);
    expect(keyring.allows("mallory", GoInterface.spectator)).toBe(false);
    expect(keyring.allows(ANONYMOUS, GoInterface.spectator)).toBe(false);
    keyring.addKey("carol", GoInterface.player);
    expect(keyring.keysOf("carol").sort()).toEqual([GoInterface.player, GoInterface.spectator]);
  });
});

describe("GoRealm", () => {
  it("should seat players in login order and push every move to every attached GameMind", async () => {
    const realm = new GoRealm({ keyring: KEYS });
    const [aliceMind, bobMind] = [new RecordingMind(), new RecordingMind()];
    const alice = realm.requestAvatar("alice", aliceMind, GoInterface.player);
    const bob = realm.requestAvatar("bob", bobMind, GoInterface.player);
    expect((alice.avatar as GoPlayer).color).toBe("black");
    expect((bob.avatar as GoPlayer).color).toBe("white");
    await call(alice.avatar, "move", 3, 3);
    const moved = { event: "moved", data: { player: "black", x: 3, y: 3, captured: [], next: "white" } };
    expect(aliceMind.events.at(-1)).toEqual(moved);
    expect(bobMind.events.at(-1)).toEqual(moved);
    expect(aliceMind.events).toContainEqual({ event: "joined", data: { color: "white", player: "bob" } });
  });

  it("should grant the first requested interface the identity holds a key for", () => {
    const realm = new GoRealm({ keyring: KEYS });
    const carol = realm.requestAvatar("carol", null, GoInterface.player, GoInterface.spectator);
    expect(carol.interface).toBe(GoInterface.spectator);
    expect(carol.avatar).toBeInstanceOf(GoSpectator);
    expect(() => realm.requestAvatar("carol", null, GoInterface.player)).toThrow(NoSuchInterface);
    expect(() => realm.requestAvatar("mallory", null, GoInterface.spectator)).toThrow(NoSuchInterface);
    expect(() => realm.requestAvatar(ANONYMOUS, null, GoInterface.spectator)).toThrow(NoSuchInterface);
    expect(() => realm.requestAvatar("alice", null, "echo")).toThrow(NoSuchInterface);
  });

  it("should refuse a third player with NoSuchInterface 'the game is full', and give back a player's own seat", () => {
    const realm = new GoRealm({ keyring: KEYS });
    realm.requestAvatar("alice", null, GoInterface.player);
    realm.requestAvatar("bob", null, GoInterface.player);
    expect(() => realm.requestAvatar("dave", null, GoInterface.player)).toThrow(new NoSuchInterface("the game is full"));
    expect((realm.requestAvatar("bob", null, GoInterface.player).avatar as GoPlayer).color).toBe("white");
  });

  it("should call attached on login and detached once on logout, telling the others who left", async () => {
    const realm = new GoRealm({ keyring: KEYS });
    const aliceMind = new RecordingMind();
    realm.requestAvatar("alice", aliceMind, GoInterface.player);
    const bob = realm.requestAvatar("bob", new RecordingMind(), GoInterface.player);
    expect(realm.table.watchers).toBe(2);
    await bob.logout();
    await bob.logout();
    expect(realm.table.watchers).toBe(1);
    expect(aliceMind.events.filter((e) => e.event === "left")).toEqual([{ event: "left", data: { color: "white", player: "bob" } }]);
  });

  it("should say `left` when a player's last session goes and `joined` when one comes back, not for each of several sessions", async () => {
    // An outside probe: alice's first of two sessions logging out told everyone she left while her
    // second went on playing; bob logging out and back in said `left` and never `joined`.
    const realm = new GoRealm({ keyring: KEYS });
    const carol = new RecordingMind();
    realm.requestAvatar("carol", carol, GoInterface.spectator);
    const first = realm.requestAvatar("alice", null, GoInterface.player);
    const second = realm.requestAvatar("alice", new RecordingMind(), GoInterface.player);
    const bob = realm.requestAvatar("bob", null, GoInterface.player);
    const seats = () => carol.events.filter((e) => e.event === "joined" || e.event === "left").map((e) => `${e.event} ${(e.data as { player: string }).player}`);
    expect(seats()).toEqual(["joined alice", "joined bob"]);
    await first.logout();
    expect(seats()).toEqual(["joined alice", "joined bob"]);
    await bob.logout();
    realm.requestAvatar("bob", null, GoInterface.player);
    await second.logout();
    expect(seats()).toEqual(["joined alice", "joined bob", "left bob", "joined bob", "left alice"]);
  });

  it("should refuse moves before an opponent is seated", async () => {
    const realm = new GoRealm({ keyring: KEYS });
    const alice = realm.requestAvatar("alice", null, GoInterface.player);
    await expect(call(alice.avatar, "move", 0, 0)).rejects.toThrow(new AvatarError("waiting for an opponent"));
  });

  it("should expose only the perspective methods: internals, hooks and JavaScript machinery get NoSuchMethod", async () => {
    const realm = new GoRealm({ keyring: KEYS });
    const alice = realm.requestAvatar("alice", null, GoInterface.player).avatar;
    realm.requestAvatar("bob", null, GoInterface.player);
    for (const name of ["constructor", "__proto__", "table", "game", "_private", "#color", "color", "seat", "avatarId", "attached", "detached", "logout", "toString", "hasOwnProperty", "valueOf", "then"]) {
      await expect(call(alice, name), name).rejects.toBeInstanceOf(NoSuchMethod);
    }
    await expect(call(alice, "move", 1, 1, "white")).rejects.toThrow(AvatarError);
    await expect(call(alice, "move", 1, 1)).resolves.toEqual({ x: 1, y: 1, captured: [] });
  });
});
