/** A realm for supervision tests: avatars that crash on demand, count their logouts, flood their Mind. */
import { assign, emit, setup } from "xstate";
import type { AvatarId } from "../../actors/checkers/checker.ts";
import { NoSuchInterface } from "../../actors/errors.ts";
import type { LoginResult, Mind, Realm } from "../../actors/realm.ts";
import { AvatarCrashed } from "../../actors/supervision/avatar-crashed.ts";
import type { AvatarCallEvent, AvatarReplyEvent } from "../../actors/supervision/machine-avatar.ts";

export class CrashAvatar {
  logouts = 0;
  constructor(readonly incarnation: number, readonly mind: Mind | null) {}
  ok(): number {
    return this.incarnation;
  }
  oops(): never {
    throw new Error("secret internal detail");
  }
  crash(): never {
    throw new AvatarCrashed("state is corrupt");
  }
  announce(text: string): void {
    this.mind?.notify("announce", { text });
  }
}

/** An xstate avatar: `increment` counts, `crash` makes the actor error, anything else is NoSuchMethod. */
export const counterAvatar = setup({
  types: { context: {} as { n: number }, events: {} as AvatarCallEvent, emitted: {} as AvatarReplyEvent },
}).createMachine({
  context: { n: 0 },
  on: {
    call: [
      {
        guard: ({ event }) => event.method === "increment",
        actions: [
          assign({ n: ({ context }) => context.n + 1 }),
          emit(({ context, event }) => ({ type: "reply" as const, id: event.id, result: context.n })),
        ],
      },
      {
        guard: ({ event }) => event.method === "crash",
        actions: () => {
          throw new Error("counter broke");
        },
      },
      {
        guard: ({ event }) => event.method === "refuse",
        actions: emit(({ event }) => ({ type: "reply" as const, id: event.id, error: "not now" })),
      },
      { actions: emit(({ event }) => ({ type: "reply" as const, id: event.id, error: `no such method: ${event.method}`, code: "NoSuchMethod" as const })) },
    ],
  },
});

export interface CrashRealmOptions {
  readonly interfaces?: readonly string[];
  /** Hand out xstate avatars (counterAvatar) instead of CrashAvatar objects. */
  readonly machine?: boolean;
  /** How long a restart (every request after the first) takes. */
  readonly restartDelayMs?: number;
}

export class CrashRealm implements Realm {
  readonly avatars: CrashAvatar[] = [];
  /** Logouts per incarnation, machine avatars included. */
  readonly logouts: number[] = [];
  requests = 0;
  constructor(private readonly options: CrashRealmOptions = {}) {}

  async requestAvatar(_avatarId: AvatarId, mind: Mind | null, ...interfaces: string[]): Promise<LoginResult> {
    const incarnation = this.requests++;
    if (incarnation > 0 && this.options.restartDelayMs) await new Promise((r) => setTimeout(r, this.options.restartDelayMs));
    const chosen = interfaces.find((i) => (this.options.interfaces ?? ["echo"]).includes(i));
    if (chosen === undefined) throw new NoSuchInterface();
    this.logouts.push(0);
    const avatar = new CrashAvatar(incarnation, mind);
    this.avatars.push(avatar);
    return {
      interface: chosen,
      avatar: this.options.machine ? counterAvatar : avatar,
      logout: () => {
        avatar.logouts++;
        this.logouts[incarnation]!++;
      },
    };
  }

  get totalLogouts(): number {
    return this.logouts.reduce((a, b) => a + b, 0);
  }
}
