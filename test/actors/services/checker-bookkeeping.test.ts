import { describe, expect, it } from "vitest";
import { InMemoryUsernamePasswordDatabaseDontUse, Portal, SimpleRealm } from "../../../actors/index.ts";
import { CheckerInstanceKinds } from "../../../actors/services/checker-instance-kinds.ts";
import { CheckerPrecedence } from "../../../actors/services/checker-precedence.ts";
import { CheckerRecency } from "../../../actors/services/checker-recency.ts";

describe("CheckerRecency", () => {
  const known = (...names: string[]) => (name: string) => names.includes(name);

  it("picks the least recently heard name that never answered a check, before any that did", () => {
    const recency = new CheckerRecency();
    recency.answered("busy");
    recency.touch("idle-old");
    recency.touch("idle-new");
    expect(recency.leastActive("incoming", known("busy", "idle-old", "idle-new"))).toBe("idle-old");
  });

  it("falls back to the least recent name when every known one answered checks, never the incoming one", () => {
    const recency = new CheckerRecency();
    recency.touch("incoming");
    recency.answered("a");
    recency.answered("b");
    expect(recency.leastActive("incoming", known("incoming", "a", "b"))).toBe("a");
    recency.answered("a");
    expect(recency.leastActive("incoming", known("incoming", "a", "b"))).toBe("b");
  });

  it("lets go of names no longer known on the way, and forgets answered ones on forget", () => {
    const recency = new CheckerRecency();
    recency.answered("gone");
    recency.answered("kept");
    expect(recency.leastActive("x", known("kept"))).toBe("kept");
    recency.forget("kept");
    recency.touch("kept");
    recency.answered("other");
    // "kept" lost its record of answering when forgotten: it goes before "other".
    expect(recency.leastActive("x", known("kept", "other"))).toBe("kept");
    expect(recency.leastActive("x", known())).toBeUndefined();
  });
});

describe("CheckerInstanceKinds", () => {
  it("gives the kinds every remaining instance announced once they agree and differ from the checker's", () => {
    const kinds = new CheckerInstanceKinds();
    kinds.note("db", "old", ["username-password"]);
    kinds.note("db", "new", ["username-password", "cram-md5"]);
    expect(kinds.changed("db", new Set(["old", "new"]), ["username-password"])).toBeUndefined();
    expect(kinds.changed("db", new Set(["new"]), ["username-password"])).toEqual(["username-password", "cram-md5"]);
    expect(kinds.changed("db", new Set(["new"]), ["cram-md5", "username-password"])).toBeUndefined();
  });

  it("gives nothing for an instance it never heard announce, or a forgotten name", () => {
    const kinds = new CheckerInstanceKinds();
    kinds.note("db", undefined, ["anonymous"]);
    expect(kinds.changed("db", new Set(["", "unheard"]), ["username-password"])).toBeUndefined();
    expect(kinds.changed("db", new Set([""]), ["username-password"])).toEqual(["anonymous"]);
    kinds.forget("db");
    expect(kinds.changed("db", new Set([""]), ["username-password"])).toBeUndefined();
  });
});

describe("CheckerPrecedence", () => {
  const setup = () => {
    const portal = new Portal(new SimpleRealm());
    const [a, b, c] = [0, 1, 2].map(() => new InMemoryUsernamePasswordDatabaseDontUse({}));
    const top = () => [a, b, c].indexOf(portal.checkerFor({ kinds: ["username-password"] }) as InMemoryUsernamePasswordDatabaseDontUse);
    return { precedence: new CheckerPrecedence(portal), a: a!, b: b!, c: c!, top };
  };

  it("routes a kind to the checker of the latest rank, whatever order they were registered in", () => {
    const { precedence, a, b, c, top } = setup();
    precedence.register(b, 2_000);
    precedence.register(c, 3_000);
    precedence.register(a, 1_000);
    expect(top()).toBe(2);
  });

  it("puts a demoted checker below every other, keeps it there through later registrations, and back on top when promoted", () => {
    const { precedence, a, b, c, top } = setup();
    precedence.register(a, 1_000);
    precedence.register(b, 2_000);
    precedence.register(c, 3_000);
    precedence.demote(c);
    expect(top()).toBe(1);
    // A checker re-ranked below it (its kinds changed) does not lift it.
    precedence.register(b, 500);
    expect(top()).toBe(0);
    expect(precedence.isDemoted(c)).toBe(true);
    precedence.promote(c);
    expect(top()).toBe(2);
    expect(precedence.isDemoted(c)).toBe(false);
  });
});
