/**
 * `npx tsx bench/hash-gate-overload.ts`: how many logins a HashGate answers in time when more
 * arrive than it can hash, first-come-first-served beside adaptive LIFO (the default), in the
 * same run. The hash is a 100 ms timer in three slots (30/s), so the figures show the queueing
 * policy alone, not a KDF; 60 logins/s are offered for 8 s, each client gives up after 2 s, and
 * the gate sheds what waited 5 s (its default).
 */
import { HashGate } from "../actors/hashing/hash-gate.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const OFFERED_PER_SEC = 60;
const SECONDS = 8;
const CLIENT_TIMEOUT_MS = 2000;

async function run(lifoAfterMs: number | undefined) {
  const gate = new HashGate(3, { maxWaitMs: 5000, ...(lifoAfterMs === undefined ? {} : { lifoAfterMs }) });
  const tally = { offered: 0, inTime: 0, late: 0, shed: 0 };
  const all: Promise<void>[] = [];
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    const asked = performance.now();
    tally.offered++;
    all.push(
      gate.run(() => sleep(100)).then(
        () => void (performance.now() - asked <= CLIENT_TIMEOUT_MS ? tally.inTime++ : tally.late++),
        () => void tally.shed++,
      ),
    );
    await sleep(1000 / OFFERED_PER_SEC);
  }
  await Promise.all(all);
  return tally;
}

const rows = [
  ["first come, first served (lifoAfterMs: Infinity)", await run(Number.POSITIVE_INFINITY)],
  ["adaptive LIFO (default: after maxWaitMs / 10)", await run(undefined)],
] as const;
console.log(`| queueing | offered | answered within ${CLIENT_TIMEOUT_MS} ms | answered too late | shed ("overloaded; try again") |`);
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const [name, t] of rows) console.log(`| ${name} | ${t.offered} | ${t.inTime} | ${t.late} | ${t.shed} |`);
