/** Renders scenario outcomes as one markdown table, and splices it into the README between markers. */
import { readFile, writeFile } from "node:fs/promises";
import { IN_FLIGHT } from "./measure.ts";
import { isMeasured, isSkipped, isValueRow } from "./scenario.ts";
import type { BenchRow, MeasuredRow, Scenario } from "./scenario.ts";

export type Outcome =
  | { readonly scenario: Scenario; readonly rows: readonly BenchRow[] }
  | { readonly scenario: Scenario; readonly error: string };

export const START_MARKER = "<!-- bench:start -->";
export const END_MARKER = "<!-- bench:end -->";

const HEADER = ["group", "scenario", "p50 ms", "p99 ms", ...IN_FLIGHT.map((n) => `ops/s @${n}`), "vs floor (p50 · @128)"];

/** The table, then one bullet per note, skip or failure. Groups keep their first-seen order; floors lead. */
export function renderTable(outcomes: readonly Outcome[]): string {
  const groups = [...new Set(outcomes.map((o) => o.scenario.group))];
  const lines = [row(HEADER), row(HEADER.map((_, i) => (i < 2 ? "---" : "---:")))];
  const notes: string[] = [];

  for (const group of groups) {
    const inGroup = outcomes.filter((o) => o.scenario.group === group);
    const ordered = [...inGroup.filter((o) => o.scenario.floor), ...inGroup.filter((o) => !o.scenario.floor)];
    const floor = ordered
      .filter((o) => o.scenario.floor && "rows" in o)
      .flatMap((o) => ("rows" in o ? o.rows : []))
      .find((r): r is MeasuredRow => isMeasured(r));

    for (const outcome of ordered) {
      if ("error" in outcome) {
        lines.push(row([group, outcome.scenario.name, "failed", ...blank(IN_FLIGHT.length + 2)]));
        notes.push(`${outcome.scenario.name} failed: ${outcome.error.split("\n")[0]}`);
        continue;
      }
      for (const r of outcome.rows) {
        if (r.note) notes.push(`${r.label}: ${r.note}`);
        if (isSkipped(r)) {
          lines.push(row([group, r.label, "skipped", ...blank(IN_FLIGHT.length + 2)]));
          notes.push(`${r.label} skipped: ${r.skipped}`);
          continue;
        }
        if (isValueRow(r)) {
          const label = `${outcome.scenario.floor ? `**${r.label}**` : r.label}: ${r.value}`;
          lines.push(row([group, label, ...blank(IN_FLIGHT.length + 2), r.versus ?? (outcome.scenario.floor ? "floor" : "–")]));
          continue;
        }
        if (r.compareP99 && floor && !outcome.scenario.floor) {
          notes.push(`${r.label}: p99 ÷ floor's p99 = ${ratio(r.p99Ms / floor.p99Ms)} (p50: ${ratio(r.p50Ms / floor.p50Ms)})`);
        }
        const versus = outcome.scenario.floor ? "floor" : floor ? compare(r, floor) : "–";
        lines.push(
          row([
            group,
            outcome.scenario.floor ? `**${r.label}**` : r.label,
            ms(r.p50Ms),
            ms(r.p99Ms),
            ...IN_FLIGHT.map((n) => rate(r.opsPerSec[n])),
            versus,
          ]),
        );
      }
    }
  }
  notes.unshift(
    "p50/p99: one operation at a time, after a warm-up (3,000 operations or 3 s in the round-trip and login groups, fewer in the others); ops/s @K: completed operations per second with K kept outstanding. " +
      "vs floor: the row's p50 ÷ its group floor's (above 1 is slower), then its ops/s @128 ÷ the floor's (below 1 is fewer).",
  );
  const footer = `\n\n${notes.map((n) => `- ${n}`).join("\n")}`;
  return `${lines.join("\n")}${footer}`;
}

/** Fails before any measuring when the README or its markers are missing, so `--write` cannot waste a run. */
export async function checkReadme(path: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return `${path} does not exist`;
  }
  const start = text.indexOf(START_MARKER);
  const end = text.indexOf(END_MARKER);
  if (start === -1 || end === -1 || end < start) {
    return `${path} has no ${START_MARKER} … ${END_MARKER} block to replace`;
  }
  return null;
}

/** Replaces what lies between the markers; rejects when they are missing (see `checkReadme`). */
export async function writeIntoReadme(path: string, content: string): Promise<void> {
  const problem = await checkReadme(path);
  if (problem !== null) throw new Error(problem);
  const text = await readFile(path, "utf8");
  const start = text.indexOf(START_MARKER) + START_MARKER.length;
  const end = text.indexOf(END_MARKER);
  await writeFile(path, `${text.slice(0, start)}\n${content.trim()}\n${text.slice(end)}`);
}

function row(cells: readonly string[]): string {
  return `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
}

function blank(n: number): string[] {
  return Array.from({ length: n }, () => "–");
}

function ms(value: number): string {
  if (!Number.isFinite(value)) return "–";
  return value.toFixed(value < 1 ? 3 : value < 10 ? 2 : value < 100 ? 1 : 0);
}

function rate(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? "–" : Math.round(value).toLocaleString("en-US");
}

/** The row's p50 over the floor's (above 1 is slower), then its ops/s @128 over the floor's (below 1 is fewer). */
function compare(r: MeasuredRow, floor: MeasuredRow): string {
  const top = IN_FLIGHT[IN_FLIGHT.length - 1] as (typeof IN_FLIGHT)[number];
  return `${ratio(r.p50Ms / floor.p50Ms)} · ${ratio(r.opsPerSec[top] / floor.opsPerSec[top])}`;
}

function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(value < 10 ? 2 : 1)}×` : "–";
}
