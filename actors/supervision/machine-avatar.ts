/** An xstate avatar: each method call goes in as a `call` event, each answer comes out as an emitted `reply`. */
import { Actor, createActor, type AnyActorLogic } from "xstate";
import { AvatarError, NoSuchMethod } from "../errors.ts";
import { AvatarCrashed } from "./avatar-crashed.ts";

/** What an xstate avatar receives for `P.session.ID.call {"method", "args"}`. */
export interface AvatarCallEvent {
  readonly type: "call";
  /** Correlates the answer: copy it into the `reply`. */
  readonly id: number;
  readonly method: string;
  readonly args: readonly unknown[];
}

/**
 * What an xstate avatar emits (xstate's `emit` action) to answer a call: `result` for success,
 * or `error` (a message safe to show) with `code` `AvatarError` (default) or `NoSuchMethod`.
 */
export type AvatarReplyEvent =
  | { readonly type: "reply"; readonly id: number; readonly result?: unknown }
  | { readonly type: "reply"; readonly id: number; readonly error: string; readonly code?: "AvatarError" | "NoSuchMethod" };

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

/** True for what a realm may hand out as an xstate avatar: actor logic, or an actor (started or not). */
export function isMachineAvatar(avatar: unknown): avatar is AnyActorLogic | Actor<AnyActorLogic> {
  if (avatar instanceof Actor) return true;
  const logic = avatar as { transition?: unknown; getInitialSnapshot?: unknown } | null;
  return typeof logic === "object" && logic !== null && typeof logic.transition === "function" && typeof logic.getInitialSnapshot === "function";
}

/**
 * Runs one incarnation of an xstate avatar. The actor erroring, or reaching a final state, is a
 * crash: `onCrash` is told once and every pending call rejects with `AvatarCrashed`. A call the
 * avatar does not answer within `replyTimeoutMs` rejects with `AvatarError`.
 */
export class MachineAvatar {
  readonly actor: Actor<AnyActorLogic>;
  #pending: Map<number, Pending> | undefined;
  #nextId = 0;
  #over = false;

  constructor(avatar: AnyActorLogic | Actor<AnyActorLogic>, private readonly onCrash: (error: unknown) => void, private readonly replyTimeoutMs: number) {
    this.actor = avatar instanceof Actor ? avatar : createActor(avatar);
    this.actor.subscribe({
      next: (snapshot) => {
        if (snapshot.status === "done") this.#crash(new AvatarCrashed("avatar machine reached a final state"));
      },
      error: (error) => this.#crash(error),
    });
    this.actor.on("reply", (event) => this.#answer(event as AvatarReplyEvent));
    this.actor.start();
  }

  /** Rejects with `AvatarError`/`NoSuchMethod` as the avatar answers, or `AvatarCrashed`. */
  call(method: string, args: readonly unknown[]): Promise<unknown> {
    if (this.#over) return Promise.reject(new AvatarCrashed("avatar machine is not running"));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending?.delete(id);
        reject(new AvatarError("the avatar did not answer"));
      }, this.replyTimeoutMs);
      (this.#pending ??= new Map()).set(id, { resolve, reject, timer });
      this.actor.send({ type: "call", id, method, args } satisfies AvatarCallEvent);
    });
  }

  /** Stops the actor without reporting a crash; pending calls reject with `AvatarCrashed`. */
  stop(): void {
    if (this.#over) return;
    this.#over = true;
    this.actor.stop();
    this.#rejectAll(new AvatarCrashed("avatar stopped"));
  }

  #answer(event: AvatarReplyEvent): void {
    const pending = this.#pending?.get(event.id);
    if (pending === undefined) return;
    this.#pending!.delete(event.id);
    clearTimeout(pending.timer);
    if ("error" in event) pending.reject(event.code === "NoSuchMethod" ? new NoSuchMethod(event.error) : new AvatarError(event.error));
    else pending.resolve(event.result);
  }

  #crash(error: unknown): void {
    if (this.#over) return;
    this.#over = true;
    this.#rejectAll(new AvatarCrashed("avatar machine failed", { cause: error }));
    this.onCrash(error);
  }

  #rejectAll(error: AvatarCrashed): void {
    if (this.#pending === undefined) return;
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pending = undefined;
  }
}
