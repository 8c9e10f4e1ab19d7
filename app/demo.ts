/** `npm start`: the whole system in one process (or over NATS with NATS_URL), and a short transcript. */
import {
  connect,
  InMemoryUsernamePasswordDatabaseDontUse,
  PortcullisError,
  serveChecker,
  servePortal,
  SimpleRealm,
  UsernamePassword,
  type Notification,
} from "../actors/index.ts";
import { connectBus, redactNatsUrl } from "./connect-bus.ts";
import { createLogger } from "./logger.ts";
import { StartupError } from "./startup-error.ts";

/** Runs the demo, writing the transcript through `say`; resolves when everything is shut down. */
export async function runDemo(natsUrl: string | undefined, say: (line: string) => void): Promise<void> {
  const logger = createLogger({ level: process.env["LOG_LEVEL"] ?? "warn" });
  const { bus, kind } = await connectBus(natsUrl, "portcullis-demo");
  say(`bus: ${kind === "nats" ? `NATS at ${redactNatsUrl(natsUrl!)}` : "embedded in-process bus (set NATS_URL to use NATS)"}`);

  // Seed 001's deployment: SimpleRealm with an in-memory checker holding one guest.
  const checker = new InMemoryUsernamePasswordDatabaseDontUse({ guest: "password" });
  const checkerService = await serveChecker(bus, checker, { name: "memory", logger });
  const portal = await servePortal(bus, { realm: new SimpleRealm(), logger });
  say(`portal serving; checker "memory" announced; kinds: ${portal.portal.listCredentialsKinds().join(", ")}`);

  const client = connect(bus);
  const mind = (n: Notification) => say(`  mind ← ${n.event} ${JSON.stringify(n.data)}`);
  const session = await client.login(new UsernamePassword("guest", "password"), { interfaces: ["echo"], mind });
  say(`login guest/password → ok: avatarId=${session.avatarId} interface=${session.interface}`);
  say(`call echo("hello") → ${JSON.stringify(await session.call("echo", "hello"))}`);
  say(`call announce("the game starts") →`);
  await session.call("announce", "the game starts");
  await new Promise((resolve) => setTimeout(resolve, 50));

  for (const [label, attempt] of [
    ["login guest/wrong", () => client.login(new UsernamePassword("guest", "wrong"), { interfaces: ["echo"] })],
    ["login with kind x-retina-scan", () => client.login({ kind: "x-retina-scan", eye: "left" }, { interfaces: ["echo"] })],
  ] as const) {
    try {
      await attempt();
      say(`${label} → unexpectedly ok`);
    } catch (error) {
      say(`${label} → ${error instanceof PortcullisError ? `${error.code}: ${error.message}` : String(error)}`);
    }
  }

  await session.logout();
  say(`logout → session closed: ${await session.closed}`);
  await portal.close();
  await checkerService.stop();
  await bus.drain();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    await runDemo(process.env["NATS_URL"], (line) => console.log(line));
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    console.error(`demo: ${error.message} (unset NATS_URL to run on the in-process bus)`);
    process.exitCode = 1;
  }
}
