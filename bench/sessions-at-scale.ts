/**
 * Issue 4: one process holding N live sessions (env BENCH_SESSIONS, default 100,000), logged in
 * over real NATS, and the heap each one costs beside a bare xstate actor and a bare NATS
 * subscription measured in the same process. Stops early at a time or heap budget and reports
 * how many it reached.
 */
import { childArgs } from "./compile.ts";
import { PASSWORD, USERNAME } from "./kdf-params.ts";
import { GROUP } from "./scenario.ts";
import type { Scenario } from "./scenario.ts";
import { connectClient, passwordLogin } from "./wire-client.ts";

const TARGET = Number(process.env.BENCH_SESSIONS ?? 100_000);
/** Login phase budget; what was reached by then is reported. */
const LOGIN_SECONDS = 75;
/** Stop logging in once the holder's heap passes this (checked every CHECK_EVERY logins). */
const HEAP_LIMIT_BYTES = 4 * 1024 ** 3;
const CHECK_EVERY = 5_000;
const IN_FLIGHT = 128;
/** How many bare actors and subscriptions the floors are measured over. */
const FLOOR_N = 20_000;
/** Session lifetime 2.5 × this (2.5 h): none may expire during the run, without pings. */
const HEARTBEAT_MS = 3_600_000;
const TARGET_BYTES = 12 * 1024;
/** Open challenges measured (under the portal's default maxOpen of 10,000; they expire after 60 s). */
const CHALLENGES = 8_000;
/** Ended sessions measured while their subjects still answer (endedLingerMs). */
const LINGERING = 8_000;

export const sessionsAtScale: Scenario = {
  name: "sessions-at-scale",
  group: GROUP.sessions,
  async run(ctx) {
    if (!Number.isInteger(TARGET) || TARGET < 1) throw new Error(`BENCH_SESSIONS must be a positive integer, got ${process.env.BENCH_SESSIONS}`);
    const holder = await ctx.spawn({
      name: "session-holder.ts",
      command: process.execPath,
      args: ["--expose-gc", "--max-old-space-size=6144", ...childArgs("bench/children/session-holder.ts"), ctx.natsUrl, String(HEARTBEAT_MS)],
    });
    const floors = await holder.call<{ actorBytes: number; subscriptionBytes: number }>("floors", { n: FLOOR_N }, 60_000);
    const baseline = await holder.call<{ heapUsed: number; sessions: number }>("settled", {}, 30_000);

    const nc = await connectClient(ctx.natsUrl);
    ctx.onCleanup(() => nc.close());
    const started = performance.now();
    const deadline = started + LOGIN_SECONDS * 1000;
    let issued = 0;
    let stop: string | undefined;
    let checking: Promise<void> | undefined;
    const worker = async (): Promise<void> => {
      while (stop === undefined && issued < TARGET) {
        if (performance.now() > deadline) {
          stop = `time budget (${LOGIN_SECONDS} s) reached`;
          break;
        }
        const n = ++issued;
        await passwordLogin(nc, USERNAME, PASSWORD);
        if (n % CHECK_EVERY === 0 && checking === undefined) {
          checking = holder.call<{ heapUsed: number }>("heap").then(({ heapUsed }) => {
            if (heapUsed > HEAP_LIMIT_BYTES) stop = `heap budget (${HEAP_LIMIT_BYTES / 1024 ** 3} GiB) reached`;
            checking = undefined;
          });
          if (n % 20_000 === 0) ctx.log(`  ${n} sessions`);
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const loginSeconds = (performance.now() - started) / 1000;
    const after = await holder.call<{ heapUsed: number; sessions: number }>("settled", {}, 60_000);
    // After the sessions (which never expire), done well within the challenges' 60 s expiry.
    const challenges = await holder.call<{ challengeBytes: number }>("challenges", { n: CHALLENGES }, 50_000);
    const lingering = await holder.call<{ lingeringBytes: number }>("lingering", { n: LINGERING }, 50_000);
    const sessions = after.sessions - baseline.sessions;
    if (sessions <= 0) throw new Error("no session was live at the end");
    const perSession = (after.heapUsed - baseline.heapUsed) / sessions;
    const floor = floors.actorBytes + floors.subscriptionBytes;
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB (${Math.round(bytes).toLocaleString("en-US")} B)`;
    const reached = sessions >= TARGET ? `${sessions.toLocaleString("en-US")} live` : `${sessions.toLocaleString("en-US")} of ${TARGET.toLocaleString("en-US")} live`;
    return [
      {
        label: "bare xstate actor",
        value: `${kb(floors.actorBytes)} each`,
        versus: "floor",
        note: `heap per createActor(two-state machine).start(), ${FLOOR_N.toLocaleString("en-US")} of them, in the session holder process.`,
      },
      {
        label: "bare NATS subscription",
        value: `${kb(floors.subscriptionBytes)} each`,
        versus: "floor",
        note: `heap per nats.js callback subscription on a session-shaped wildcard subject, ${FLOOR_N.toLocaleString("en-US")} of them, same process.`,
      },
      {
        label: "Portcullis live session",
        value: `${kb(perSession)} each (${reached}, NATS)`,
        versus: `${(perSession / floor).toFixed(1)}× actor + subscription`,
        note:
          `heapUsed delta after forced gc ÷ live sessions, portal with in-memory checker and echo realm in one process (node --expose-gc), ` +
          `every session logged in over real NATS (one nats-server subscription each) by ${IN_FLIGHT} concurrent logins from the bench process ` +
          `in ${loginSeconds.toFixed(1)} s (${Math.round(sessions / loginSeconds).toLocaleString("en-US")} logins/s); heartbeat ${HEARTBEAT_MS / 1000} s so none expire. ` +
          `Target < 12 KB (12,288 B): ${perSession < TARGET_BYTES ? "met" : "not met"}.` +
          (stop === undefined ? "" : ` Stopped early: ${stop}.`) +
          " N is BENCH_SESSIONS (default 100000).",
      },
      {
        label: "Portcullis open challenge (cram-md5, unanswered)",
        value: `${kb(challenges.challengeBytes)} each`,
        versus: `${(challenges.challengeBytes / floor).toFixed(1)}× actor + subscription`,
        note:
          `heapUsed delta after forced gc ÷ ${CHALLENGES.toLocaleString("en-US")} challenges issued over NATS and left open, same portal process: ` +
          "each is a challenge machine in a LeanActor and a P.challenge.ID subscription. It bounds what a client that asks for challenges " +
          "and never answers can cost a portal before maxOpen (10,000) refuses it.",
      },
      {
        label: "Portcullis ended session, still answering",
        value: `${kb(lingering.lingeringBytes)} each`,
        versus: `${(lingering.lingeringBytes / floor).toFixed(1)}× actor + subscription`,
        note:
          `heapUsed delta after forced gc ÷ ${LINGERING.toLocaleString("en-US")} sessions logged in and out over NATS on a second portal in the same process: ` +
          "for endedLingerMs (5 s by default) an ended session keeps its subscription and a small responder (a repeated logout gets ok), " +
          "so a portal ending R sessions a second holds 5 × R of these.",
      },
    ];
  },
};
