/** Which avatar methods a client may call: Twisted's `perspective_*` when the avatar has any, else its class's plain methods. */
import { describe, expect, it } from "vitest";
import { NoSuchMethod } from "../../../actors/errors.ts";
import { callAvatar } from "../../../actors/services/avatar-methods.ts";

const call = (avatar: unknown, method: string, ...args: unknown[]) => callAvatar(avatar, method, args, () => undefined);

/** A Twisted-style avatar: its remote face is `perspective_*`; the rest is the realm's own business. */
class Wallet {
  gold = 1;
  perspective_gold(): number {
    return this.gold;
  }
  grantGold(n: number): number {
    this.gold += n;
    return this.gold;
  }
}
class VipWallet extends Wallet {
  perspective_bonus(): string {
    return "bonus";
  }
  resetGold(): void {
    this.gold = 0;
  }
}

/** A TypeScript-style avatar: no `perspective_*` method, so its class's methods are its remote face. */
class Counter {
  count = 0;
  _secret(): string {
    return "secret";
  }
  add(n: number): number {
    return (this.count += n);
  }
  get doubled(): number {
    return this.count * 2;
  }
  logout(): void {}
}

describe("callAvatar", () => {
  it("calls perspective_NAME for NAME, on the avatar's class and the classes it extends", async () => {
    expect(await call(new Wallet(), "gold")).toBe(1);
    expect(await call(new VipWallet(), "bonus")).toBe("bonus");
    expect(await call(new VipWallet(), "gold")).toBe(1);
  });

  it("refuses a Twisted-style avatar's other methods with NoSuchMethod: a realm's helpers are not remote (an outside probe granted itself gold)", async () => {
    const wallet = new VipWallet();
    await expect(call(wallet, "grantGold", 1_000_000)).rejects.toThrow(NoSuchMethod);
    await expect(call(wallet, "resetGold")).rejects.toThrow(NoSuchMethod);
    expect(wallet.gold).toBe(1);
  });

  it("refuses perspective_NAME spelled out as the method's name, as Twisted looks up perspective_perspective_NAME", async () => {
    await expect(call(new Wallet(), "perspective_gold")).rejects.toThrow(NoSuchMethod);
  });

  it("calls the plain methods of an avatar without perspective_* methods, class or object literal", async () => {
    expect(await call(new Counter(), "add", 2)).toBe(2);
    expect(await call({ add: (n: number) => n + 1 }, "add", 2)).toBe(3);
  });

  it("never calls lifecycle hooks, _names, getters, fields or Object.prototype", async () => {
    for (const name of ["logout", "_secret", "doubled", "count", "constructor", "toString", "hasOwnProperty", "__proto__"]) {
      await expect(call(new Counter(), name)).rejects.toThrow(NoSuchMethod);
    }
  });
});
