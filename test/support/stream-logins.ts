/** Keeps `workers` logins in flight on `cred.login` until stopped, recording how each one ended. */
import type { Bus } from "../../transports/bus.ts";
import { json, parse } from "./wire.ts";

const LOGIN = json({ credentials: { kind: "username-password", username: "alice", password: "pw" }, interfaces: ["echo"] });

export interface LoginStream {
  /** Stops sending and resolves, once every login in flight has ended, to one outcome per login: `ok`, `refused CODE: …` or `lost ErrorName`. */
  stop(): Promise<string[]>;
}

export function streamLogins(client: Bus, workers = 32, timeoutMs = 3000): LoginStream {
  const outcomes: string[] = [];
  let stopped = false;
  const running = Array.from({ length: workers }, async () => {
    while (!stopped) {
      try {
        const reply = parse(await client.request("cred.login", LOGIN, { timeoutMs }));
        outcomes.push(reply.ok === true ? "ok" : `refused ${reply.error?.code}: ${reply.error?.message}`);
      } catch (error) {
        outcomes.push(`lost ${(error as Error).name}`);
      }
    }
  });
  return {
    stop: async () => {
      stopped = true;
      await Promise.all(running);
      return outcomes;
    },
  };
}
