/** Chooses the bus: NATS when a URL is given, the embedded in-process bus otherwise. */
import { connectNatsBus, createInProcessBus, type Bus } from "../transports/index.ts";
import { StartupError } from "./startup-error.ts";

/** Connects to `natsUrl` (comma-separated servers allowed), or returns an in-process bus. */
export async function connectBus(natsUrl: string | undefined, name: string): Promise<{ bus: Bus; kind: "nats" | "in-process" }> {
  if (natsUrl === undefined || natsUrl === "") return { bus: createInProcessBus(), kind: "in-process" };
  try {
    return { bus: await connectNatsBus({ servers: natsUrl.split(","), name }), kind: "nats" };
  } catch (error) {
    // Refused, unreachable, bad credentials: the URL and nats.js's reason are all a user needs.
    throw new StartupError(`cannot connect to NATS at ${natsUrl}: ${(error as Error).message}`);
  }
}
