/** Peer: Twisted Perspective Broker logins, with the client and the server each in its own Python process. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { GROUP } from "./scenario.ts";
import type { BenchContext, Scenario } from "./scenario.ts";

// Debian's interpreter explicitly: a pyenv python earlier on PATH cannot see python3-twisted.
const PYTHON = "/usr/bin/python3";
// Debian's package, not pip: there may be no PyPI to reach.
const INSTALL = "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y python3-twisted";
/**
 * Connections the client spreads its in-flight logins over: one, like the Portcullis login client
 * (one NATS connection for all its logins), and eight, as many separate PB clients would.
 */
const CONNECTIONS = [1, 8] as const;
const LABEL = "Twisted PB login (peer)";

export const twistedPb: Scenario = {
  name: "twisted-pb",
  group: GROUP.login,
  async run(ctx) {
    const missing = await ensureTwisted(ctx);
    if (missing !== null) return [{ label: LABEL, skipped: missing }];
    const env = pythonEnv();
    const server = await ctx.spawn({ name: "pb_server.py", command: PYTHON, args: ["bench/twisted/pb_server.py"], env });
    const rows = [];
    for (const connections of CONNECTIONS) {
      const client = await ctx.spawn({
        name: `pb_client.py (${connections})`,
        command: PYTHON,
        args: ["bench/twisted/pb_client.py", "--port", String(server.info.port), "--connections", String(connections)],
        env,
      });
      const measured = await ctx.profileRemote(client);
      rows.push({
        label: `${LABEL}, ${connections === 1 ? "1 connection" : `${connections} connections`}`,
        note:
          `Twisted ${String(server.info.twisted)} (${String(server.info.reactor)}), Python ${String(client.info.python)}: ` +
          `PBClientFactory.login(UsernamePassword) over ${connections === 1 ? "one TCP connection (like the Portcullis client's one NATS connection)" : `${connections} TCP connections`}, timed in the client process; ` +
          "2 PB round trips per login (login → challenge, respond → avatar) to one server process " +
          "(Portal, InMemoryUsernamePasswordDatabaseDontUse, a realm returning a pb.Avatar).",
        ...measured,
      });
    }
    return rows;
  },
};

/** Null when Twisted imports (installing it first when we are root), else why the row is skipped. */
async function ensureTwisted(ctx: BenchContext): Promise<string | null> {
  if (await hasTwisted()) return null;
  if (process.getuid?.() !== 0) {
    const command = `sudo sh -c '${INSTALL}'`;
    ctx.log(`Twisted is not importable by ${PYTHON}; install it with:\n  ${command}`);
    return `Twisted not installed; run \`${command}\``;
  }
  ctx.log(`Twisted is not importable by ${PYTHON}; running: ${INSTALL}`);
  try {
    await promisify(execFile)("sh", ["-c", INSTALL], { maxBuffer: 64 * 1024 * 1024, timeout: 600_000 });
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    ctx.log(`installing Twisted failed: ${why}`);
    return `installing Twisted failed; run \`${INSTALL}\``;
  }
  return (await hasTwisted()) ? null : `Twisted still not importable by ${PYTHON} after \`${INSTALL}\``;
}

async function hasTwisted(): Promise<boolean> {
  try {
    await promisify(execFile)(PYTHON, ["-c", "import twisted.spread.pb"], { env: pythonEnv() });
    return true;
  } catch {
    return false;
  }
}

/** The bench's env minus anything that would point Debian's python at another install. */
function pythonEnv(): NodeJS.ProcessEnv {
  const { PYTHONPATH: _path, PYTHONHOME: _home, ...env } = process.env;
  // No __pycache__ written beside the scripts in the repository.
  return { ...env, PYTHONDONTWRITEBYTECODE: "1" };
}
