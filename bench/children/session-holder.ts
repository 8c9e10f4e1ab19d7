/**
 * Child process (run with --expose-gc): a portal holding many live sessions, and the floors a
 * session is compared with, measured in this same process: a bare xstate actor and a bare NATS
 * subscription. Heap is `process.memoryUsage().heapUsed` after forced collections.
 */
import { connect } from "@nats-io/transport-node";
import { createActor, createMachine, type AnyActor } from "xstate";
import { InMemoryUsernamePasswordDatabaseDontUse, servePortal, SimpleRealm } from "../../actors/index.ts";
import { connectNatsBus } from "../../transports/index.ts";
import { PASSWORD, USERNAME } from "../kdf-params.ts";
import { linkToParent } from "./parent-link.ts";

// argv: natsUrl heartbeatMs
const [natsUrl, heartbeat] = process.argv.slice(2);
if (natsUrl === undefined || heartbeat === undefined) throw new Error("usage: session-holder.ts <natsUrl> <heartbeatMs>");
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("session-holder.ts needs node --expose-gc");

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

const bus = await connectNatsBus({ servers: natsUrl, name: "bench-session-holder" });
const portal = await servePortal(bus, {
  realm: new SimpleRealm(),
  // With the challenge kinds, so the same process can also measure open challenges.
  checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ [USERNAME]: PASSWORD }, { challenges: true })],
  heartbeatMs: Number(heartbeat),
  discoverCheckers: false,
  rateLimiter: null,
});
await bus.flush();

/** A minimal machine: two states, one event. */
const bare = createMachine({ id: "bare", initial: "idle", context: { n: 0 }, states: { idle: { on: { GO: "done" } }, done: {} } });

linkToParent({
  ready: { heartbeatMs: Number(heartbeat) },
  commands: {
    /** Bytes per bare xstate actor and per bare nats.js subscription (server round-tripped), n of each. */
    floors: async (args) => {
      const n = Number(args.n);
      let before = await settledHeap();
      const actors: AnyActor[] = [];
      for (let i = 0; i < n; i++) actors.push(createActor(bare).start());
      const actorBytes = ((await settledHeap()) - before) / n;
      for (const a of actors) a.stop();
      actors.length = 0;

      const nc = await connect({ servers: natsUrl, noAsyncTraces: true, name: "bench-floor-subscriptions" });
      await nc.flush();
      before = await settledHeap();
      const subs = [];
      // Subjects shaped like a session's: prefix, a 22-character id, a wildcard.
      for (let i = 0; i < n; i++) subs.push(nc.subscribe(`bench.floor.${String(i).padStart(22, "0")}.>`, { callback: () => {} }));
      await nc.flush();
      const subscriptionBytes = ((await settledHeap()) - before) / n;
      for (const s of subs) s.unsubscribe();
      subs.length = 0;
      await nc.close();
      return { actorBytes, subscriptionBytes, n };
    },
    heap: async () => ({ heapUsed: process.memoryUsage().heapUsed, sessions: portal.sessions }),
    /** Bytes per open (issued, unanswered) cram-md5 challenge, n of them issued over NATS by this process. */
    challenges: async (args) => {
      const n = Number(args.n);
      const nc = await connect({ servers: natsUrl, noAsyncTraces: true, name: "bench-challenges" });
      const body = new TextEncoder().encode(JSON.stringify({ mechanism: "cram-md5" }));
      const before = await settledHeap();
      for (let issued = 0; issued < n; ) {
        const batch = Array.from({ length: Math.min(64, n - issued) }, () => nc.request("cred.challenge", body, { timeout: 10_000 }));
        issued += batch.length;
        for (const reply of await Promise.all(batch)) {
          if (!new TextDecoder().decode(reply.data).startsWith('{"ok":true')) throw new Error("a challenge was refused");
        }
      }
      const challengeBytes = ((await settledHeap()) - before) / n;
      await nc.close();
      return { challengeBytes, n };
    },
    /**
     * Bytes per ended session whose subjects still answer (`endedLingerMs`): n logins and their
     * logouts over NATS on a second portal (prefix `linger`) that lingers a minute, so none is
     * drained while measured.
     */
    lingering: async (args) => {
      const n = Number(args.n);
      const lingering = await servePortal(bus, {
        prefix: "linger",
        realm: new SimpleRealm(),
        checkers: [new InMemoryUsernamePasswordDatabaseDontUse({ [USERNAME]: PASSWORD })],
        discoverCheckers: false,
        rateLimiter: null,
        endedLingerMs: 60_000,
      });
      const nc = await connect({ servers: natsUrl, noAsyncTraces: true, name: "bench-lingering" });
      const login = new TextEncoder().encode(JSON.stringify({ credentials: { kind: "username-password", username: USERNAME, password: PASSWORD }, interfaces: ["echo"] }));
      const empty = new TextEncoder().encode("{}");
      const before = await settledHeap();
      for (let done = 0; done < n; ) {
        const batch = Array.from({ length: Math.min(64, n - done) }, async () => {
          const reply = JSON.parse(new TextDecoder().decode((await nc.request("linger.login", login, { timeout: 10_000 })).data));
          if (reply.ok !== true) throw new Error("a login was refused");
          await nc.request(`linger.session.${reply.session}.logout`, empty, { timeout: 10_000 });
        });
        done += batch.length;
        await Promise.all(batch);
      }
      const lingeringBytes = ((await settledHeap()) - before) / n;
      await nc.close();
      await lingering.close();
      return { lingeringBytes, n };
    },
    settled: async () => ({ heapUsed: await settledHeap(), sessions: portal.sessions }),
  },
  // Nothing to tidy: ending 100k sessions one by one would only slow the bench down; the
  // server forgets the subscriptions when the connection closes with the process.
  close: async () => {},
});
