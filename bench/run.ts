/** `npm run bench [-- --only NAME] [-- --write]`: runs the scenarios, prints the table, optionally writes it into the README. */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createContext } from "./context.ts";
import { describeMachine } from "./machine.ts";
import { DEFAULT_BUDGET } from "./measure.ts";
import { compileBench } from "./compile.ts";
import { startNatsServer } from "./nats-server.ts";
import type { NatsServer } from "./nats-server.ts";
import type { Scenario } from "./scenario.ts";
import { SCENARIOS } from "./scenarios.ts";
import { checkReadme, renderTable, writeIntoReadme } from "./table.ts";
import type { Outcome } from "./table.ts";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const README = resolve(REPO_ROOT, "README.md");
const USAGE = `usage: tsx bench/run.ts [--only NAME[,NAME…]]… [--write]
  --only   run only these scenarios (plus the floor of their group): ${SCENARIOS.map((s) => s.name).join(", ")}
  --write  replace the block between <!-- bench:start --> and <!-- bench:end --> in README.md`;

const log = (message: string): void => void process.stderr.write(`${message}\n`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: "string", multiple: true },
      write: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    log(USAGE);
    return 0;
  }
  const selected = select(values.only?.flatMap((v) => v.split(",")).filter(Boolean));
  if (typeof selected === "string") {
    log(`${selected}\n${USAGE}`);
    return 2;
  }
  if (values.write) {
    const problem = await checkReadme(README);
    if (problem !== null) {
      log(`--write: ${problem}; add the markers where the table belongs.`);
      return 1;
    }
  }

  compileBench(REPO_ROOT);
  const server = await startNatsServer(REPO_ROOT);
  const stopOnSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping nats-server`);
    void server.stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", stopOnSignal);
  process.once("SIGTERM", stopOnSignal);

  let outcomes: Outcome[];
  try {
    outcomes = await runAll(selected, server);
  } finally {
    await server.stop();
  }

  const machine = describeMachine(server);
  const text = `${machine}\n\n${renderTable(outcomes)}`;
  process.stdout.write(`\n${text}\n`);

  const failed = outcomes.filter((o) => "error" in o).map((o) => o.scenario.name);
  if (failed.length > 0) {
    log(`\nfailed: ${failed.join(", ")}${values.write ? "; README.md left as it was" : ""}`);
    return 1;
  }
  if (values.write) {
    await writeIntoReadme(README, text);
    log(`\nwrote the table into ${README}`);
  }
  return 0;
}

/** The named scenarios plus their groups' floors, in SCENARIOS order; a message when a name is unknown. */
function select(names: string[] | undefined): readonly Scenario[] | string {
  if (names === undefined || names.length === 0) return SCENARIOS;
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) return `unknown scenario: ${unknown.join(", ")}`;
  const groups = new Set(SCENARIOS.filter((s) => names.includes(s.name)).map((s) => s.group));
  return SCENARIOS.filter((s) => names.includes(s.name) || (s.floor && groups.has(s.group)));
}

async function runAll(scenarios: readonly Scenario[], server: NatsServer): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const scenario of scenarios) {
    const started = performance.now();
    log(`▶ ${scenario.name}`);
    const { ctx, dispose } = createContext({ natsUrl: server.url, repoRoot: REPO_ROOT, budget: DEFAULT_BUDGET, log });
    try {
      outcomes.push({ scenario, rows: await scenario.run(ctx) });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`✗ ${scenario.name}: ${message}`);
      outcomes.push({ scenario, error: message });
    } finally {
      await dispose();
    }
    log(`  ${scenario.name} took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return outcomes;
}

process.exitCode = await main();
