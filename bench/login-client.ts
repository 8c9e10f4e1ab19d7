/** The benchmarks' login client: a raw nats.js request to `cred.login`, as a client in any language would send. */
import { connect, type NatsConnection } from "@nats-io/transport-node";

const LOGIN = new TextEncoder().encode(
  JSON.stringify({ credentials: { kind: "username-password", username: "alice", password: "secret" }, interfaces: ["echo"] }),
);
const decoder = new TextDecoder();

/** Connects a client; `login()` rejects unless the portal answered `ok: true`. `prefix`: the portals' subject prefix. */
export async function loginClient(natsUrl: string, prefix = "cred"): Promise<{ nc: NatsConnection; login: () => Promise<void> }> {
  // nats.js directly, as for the floors: only the server side differs between rows.
  const nc = await connect({ servers: natsUrl, noAsyncTraces: true });
  const login = async () => {
    const reply = await nc.request(`${prefix}.login`, LOGIN, { timeout: 10_000 });
    // A failed login must not count as a fast one.
    if (!decoder.decode(reply.data).startsWith('{"ok":true')) throw new Error(`login failed: ${decoder.decode(reply.data)}`);
  };
  return { nc, login };
}

/** How long a bench login's session lives: the bench portals' heartbeat (2 s) × 2.5, the saga's expiry. */
export const BENCH_SESSION_LIFE_MS = 5_000;
