/** One session's avatar under its supervisor: calls, crashes, restarts by policy, and the one logout per avatar. */
import { createActor, type Actor, type AnyActorLogic } from "xstate";
import { sessionSupervisorMachine, type RestartPolicy } from "../../machines/session-supervisor.ts";
import { AvatarError, SessionEnded } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { LoginResult } from "../realm.ts";
import { callAvatar } from "../services/avatar-methods.ts";
import { AvatarCrashed, CRASHED_MESSAGE, GAVE_UP_MESSAGE } from "./avatar-crashed.ts";
import { isMachineAvatar, MachineAvatar } from "./machine-avatar.ts";

export const DEFAULT_CALL_WAIT_MS = 5_000;

/** How a session's avatar is supervised. */
export interface SupervisionOptions {
  readonly policy?: Partial<RestartPolicy>;
  /** How long a call waits for a restarting avatar (then `AvatarError`), and for an xstate avatar's reply. */
  readonly callWaitMs?: number;
}

export interface SupervisedAvatarInput extends SupervisionOptions {
  /** The avatar the login granted. */
  readonly grant: LoginResult;
  /** Asks the realm again for the same avatarId, mind and interfaces; absent: the first crash gives up. */
  readonly restart?: (() => Promise<LoginResult>) | undefined;
  /** The supervisor gave up: the session must end with `avatar-failed`. */
  readonly onGiveUp: (error: unknown) => void;
  readonly logger: Logger;
}

/** One avatar the realm handed out; its logout runs at most once. A class, not closures: one object per session. */
class Incarnation {
  machine: MachineAvatar | undefined;
  #loggedOut: Promise<void> | undefined;

  constructor(readonly grant: LoginResult, private readonly logger: Logger) {}

  get avatar(): unknown {
    return this.grant.avatar;
  }

  logout(): Promise<void> {
    return (this.#loggedOut ??= Promise.resolve()
      .then(this.grant.logout)
      .catch((error: unknown) => this.logger.warn({ err: String(error) }, "avatar logout threw")));
  }
}

interface Waiter {
  readonly resolve: (incarnation: Incarnation) => void;
  readonly reject: (error: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

type SupervisorActor = Actor<typeof sessionSupervisorMachine>;

/**
 * Supervises one session's avatar. A healthy avatar costs one small object and no timer: the
 * supervisor machine is started at the first crash and dropped again once no restart is left
 * in its window. Each avatar the realm hands out (the first and every restart) is logged out
 * exactly once: a crashed one when it crashes, the live one by `stop()`.
 */
export class SupervisedAvatar {
  #current: Incarnation | undefined;
  #crashed: Incarnation | undefined;
  #supervisor: SupervisorActor | undefined;
  #waiters: Waiter[] | undefined;
  #over: "stopped" | "failed" | undefined;
  #stopping: Promise<void> | undefined;

  constructor(private readonly input: SupervisedAvatarInput) {
    this.#current = this.#incarnate(input.grant);
  }

  /** True while a crashed avatar is being replaced. */
  get restarting(): boolean {
    return this.#current === undefined && this.#over === undefined;
  }

  /**
   * Calls `method` on the live avatar, waiting for a restart in progress. Rejects with
   * `NoSuchMethod`, `AvatarError` (a throwing method, a crash, a restart slower than
   * `callWaitMs`) or `SessionEnded` (the supervisor gave up, or the session is over).
   */
  async call(method: string, args: readonly unknown[], onUnexpected: (error: unknown) => void): Promise<unknown> {
    const incarnation = this.#current ?? (await this.#waitForAvatar());
    try {
      return incarnation.machine
        ? await incarnation.machine.call(method, args)
        : await callAvatar(incarnation.avatar, method, args, onUnexpected);
    } catch (error) {
      if (!(error instanceof AvatarCrashed)) throw error;
      this.#crash(incarnation, error);
      // The supervisor decided at once: restart, or give up (an outside probe saw the last crash
      // promised a restart that never came).
      throw new AvatarError(this.#over === "failed" ? GAVE_UP_MESSAGE : CRASHED_MESSAGE);
    }
  }

  /** Ends supervision and logs the live avatar out (once, however often called). */
  stop(): Promise<void> {
    return (this.#stopping ??= (async () => {
      this.#over ??= "stopped";
      this.#supervisor?.send({ type: "STOP" });
      this.#supervisor = undefined;
      this.#rejectWaiters(() => new SessionEnded());
      const current = this.#current;
      this.#current = undefined;
      current?.machine?.stop();
      await current?.logout();
    })());
  }

  #incarnate(grant: LoginResult): Incarnation {
    const incarnation = new Incarnation(grant, this.input.logger);
    if (isMachineAvatar(grant.avatar)) {
      incarnation.machine = new MachineAvatar(grant.avatar as AnyActorLogic, (error) => this.#crash(incarnation, error), this.#callWaitMs);
    }
    return incarnation;
  }

  get #callWaitMs(): number {
    return this.input.callWaitMs ?? DEFAULT_CALL_WAIT_MS;
  }

  #crash(incarnation: Incarnation, error: unknown): void {
    // A second report of the same crash, or one from an avatar already replaced.
    if (incarnation !== this.#current) return;
    this.#current = undefined;
    this.#crashed = incarnation;
    this.input.logger.warn({ event: "avatar-crashed", err: String(error) }, "avatar crashed");
    (this.#supervisor ??= this.#startSupervisor()).send({ type: "CRASHED", error });
  }

  #startSupervisor(): SupervisorActor {
    const { restart, logger } = this.input;
    // Nothing to ask again: the first crash is the last.
    const policy = restart ? this.input.policy : { ...this.input.policy, maxRestarts: 0 };
    const machine = sessionSupervisorMachine.provide({
      actions: {
        releaseAvatar: () => {
          const crashed = this.#crashed;
          this.#crashed = undefined;
          crashed?.machine?.stop();
          void crashed?.logout();
        },
        startAvatar: ({ self }) => {
          Promise.resolve()
            .then(restart)
            .then(
              (grant) => {
                if (self.getSnapshot().status !== "active" || this.#over !== undefined) {
                  // The session ended while the realm answered: nobody else will log this one out.
                  void this.#incarnate(grant!).logout();
                  return;
                }
                const incarnation = (this.#current = this.#incarnate(grant!));
                logger.info({ event: "avatar-restarted" }, "avatar restarted");
                self.send({ type: "STARTED" });
                const waiters = this.#waiters;
                this.#waiters = undefined;
                for (const waiter of waiters ?? []) {
                  clearTimeout(waiter.timer);
                  waiter.resolve(incarnation);
                }
              },
              (error: unknown) => self.send({ type: "START_FAILED", error }),
            );
        },
        giveUp: ({ context }) => {
          this.#over = "failed";
          this.#supervisor = undefined;
          this.#rejectWaiters(() => new SessionEnded());
          logger.error({ event: "avatar-failed", restarts: context.restarts, err: String(context.lastError) }, "supervisor gave up");
          this.input.onGiveUp(context.lastError);
        },
      },
    });
    const actor = createActor(machine, { input: { started: true, ...(policy === undefined ? {} : { policy }) } });
    actor.subscribe((snapshot) => {
      // Healthy again with no restart left to remember: the policy has nothing more to decide.
      if (snapshot.value === "running" && snapshot.context.recent === 0 && this.#supervisor === actor) {
        this.#supervisor = undefined;
        actor.stop();
      }
    });
    return actor.start();
  }

  #waitForAvatar(): Promise<Incarnation> {
    if (this.#over !== undefined) return Promise.reject(new SessionEnded());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters?.splice(this.#waiters.indexOf(waiter), 1);
          reject(new AvatarError("the avatar is restarting; try again"));
        }, this.#callWaitMs),
      };
      (this.#waiters ??= []).push(waiter);
    });
  }

  /** `error` is made only when someone waits: an Error captures a stack, and most sessions end with no waiter. */
  #rejectWaiters(makeError: () => unknown): void {
    const waiters = this.#waiters;
    this.#waiters = undefined;
    if (!waiters || waiters.length === 0) return;
    const error = makeError();
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }
}
