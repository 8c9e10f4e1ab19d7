/** The benchmarks' login client: a raw nats.js request to `cred.login`, as a client in any language would send. */
import { connect, type NatsConnection } from "@nats-io/transport-node";

const LOGIN = new TextEncoder().encode(
  JSON.stringify({ credentials: { kind: "username-password", username: "alice", password: "secret" }, interfaces: ["echo"] }),
);
const decoder = new TextDecoder();

/**
 * How many accounts the login rows log in, in turn (`player0`… with password `secret`), as players
 * do: a portal checks one account's logins one after another (its rate limit, on by default:
 * docs/security.md), so one account 128 times at once would measure that queue.
 */
export const BENCH_ACCOUNTS = 1_000;

/** The login bodies: one account after another. */
const PLAYER_LOGINS = Array.from({ length: BENCH_ACCOUNTS }, (_, i) =>
  new TextEncoder().encode(JSON.stringify({ credentials: { kind: "username-password", username: `player${i}`, password: "secret" }, interfaces: ["echo"] })),
);

/**
 * Connects a client; `login()` rejects unless the portal answered `ok: true`. `prefix`: the
 * portals' subject prefix. `players` (default): log in `player0`… in turn; otherwise `alice` each time.
 */
export async function loginClient(natsUrl: string, prefix = "cred", players = true): Promise<{ nc: NatsConnection; login: () => Promise<void> }> {
  // nats.js directly, as for the floors: only the server side differs between rows.
  const nc = await connect({ servers: natsUrl, noAsyncTraces: true });
  let next = 0;
  const login = async () => {
    const body = players ? PLAYER_LOGINS[next++ % BENCH_ACCOUNTS]! : LOGIN;
    const reply = await nc.request(`${prefix}.login`, body, { timeout: 10_000 });
    // A failed login must not count as a fast one.
    if (!decoder.decode(reply.data).startsWith('{"ok":true')) throw new Error(`login failed: ${decoder.decode(reply.data)}`);
  };
  return { nc, login };
}

/** How long a bench login's session lives: the bench portals' heartbeat (2 s) × 2.5, the saga's expiry. */
export const BENCH_SESSION_LIFE_MS = 5_000;
