/**
 * `neurobus bench compare before.json after.json`: each figure's change between two runs, flagged
 * where it goes beyond the runs' own spread, i.e. where the ranges of their per-round figures do
 * not overlap (every round of one run is faster than every round of the other). A change within
 * the spread is what a rerun on the same code would show, and is reported but not flagged.
 * Reads the JSON of `--handler` runs and of the suite's `--json`.
 */
import { readFileSync } from "node:fs";
import { formatNs, formatRate, median } from "./harness.js";
import { formatMs } from "./handler/render.js";
import { runLabel, type HandlerResults } from "./handler/result.js";
import { BenchUsageError } from "./usage-error.js";

export interface Figure {
  label: string;
  /** Per-round values (one value when the run had one round). */
  before: number[];
  after: number[];
  higherIsBetter: boolean;
  format: (value: number) => string;
}

export type Verdict = "better" | "worse" | "within spread" | "unknown spread";

export interface Change {
  figure: Figure;
  before: number;
  after: number;
  /** after / before − 1. */
  relative: number;
  verdict: Verdict;
}

interface SuiteJson {
  scenarios: Record<
    string,
    { tables: { title: string; rows: { name: string; medianNs: number; roundMediansNs: number[] }[] }[] }
  >;
}

function figuresOfHandler(before: HandlerResults, after: HandlerResults): Figure[] {
  const out: Figure[] = [];
  for (const b of before.runs) {
    const a = after.runs.find((r) => r.mode === b.mode && r.threads === b.threads);
    if (a === undefined) continue;
    const label = runLabel(b);
    out.push(
      {
        label: `${label}: events/s`,
        before: b.perRound.eventsPerSec,
        after: a.perRound.eventsPerSec,
        higherIsBetter: true,
        format: formatRate,
      },
      {
        label: `${label}: latency p50`,
        before: b.perRound.latencyP50Ms,
        after: a.perRound.latencyP50Ms,
        higherIsBetter: false,
        format: formatMs,
      },
      {
        label: `${label}: latency p99`,
        before: b.perRound.latencyP99Ms,
        after: a.perRound.latencyP99Ms,
        higherIsBetter: false,
        format: formatMs,
      },
      {
        label: `${label}: event-loop delay p99`,
        before: b.perRound.eventLoopDelayP99Ms,
        after: a.perRound.eventLoopDelayP99Ms,
        higherIsBetter: false,
        format: formatMs,
      },
      {
        label: `${label}: main thread µs/event`,
        before: b.perRound.mainThreadUsPerEvent,
        after: a.perRound.mainThreadUsPerEvent,
        higherIsBetter: false,
        format: (v) => `${v.toFixed(1)} µs`,
      },
    );
  }
  // An open-loop run has no main-thread figures (see HandlerRun): nothing to compare there.
  return out.filter((f) => f.before.length > 0 && f.after.length > 0);
}

function figuresOfSuite(before: SuiteJson, after: SuiteJson): Figure[] {
  const out: Figure[] = [];
  for (const [name, scenario] of Object.entries(before.scenarios)) {
    for (const table of scenario.tables) {
      const other = after.scenarios[name]?.tables.find((t) => t.title === table.title);
      for (const row of table.rows) {
        const match = other?.rows.find((r) => r.name === row.name);
        if (match === undefined) continue;
        out.push({
          label: `${table.title}: ${row.name}`,
          before: row.roundMediansNs,
          after: match.roundMediansNs,
          higherIsBetter: false,
          format: (ns) => `${formatNs(ns)}/op`,
        });
      }
    }
  }
  return out;
}

export function judge(figure: Figure): Change {
  const before = median(figure.before);
  const after = median(figure.after);
  const relative = before === 0 ? 0 : after / before - 1;
  let verdict: Verdict;
  if (figure.before.length < 2 || figure.after.length < 2) verdict = "unknown spread";
  else if (Math.min(...figure.after) > Math.max(...figure.before)) verdict = figure.higherIsBetter ? "better" : "worse";
  else if (Math.max(...figure.after) < Math.min(...figure.before)) verdict = figure.higherIsBetter ? "worse" : "better";
  else verdict = "within spread";
  return { figure, before, after, relative, verdict };
}

function read(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new BenchUsageError(
      `bench compare: cannot read ${file} as JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function kind(json: unknown, file: string): "handler" | "suite" {
  if (typeof json === "object" && json !== null) {
    if ("runs" in json && "recommendation" in json) return checked("handler", json as Record<string, unknown>, file);
    if ("scenarios" in json && "environment" in json) return checked("suite", json as Record<string, unknown>, file);
  }
  throw new BenchUsageError(
    `bench compare: ${file} is neither the JSON of \`neurobus bench --handler ... --json\` nor of \`neurobus bench --json\``,
  );
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isNumbers = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === "number");

/** `kind`, once the figures compare reads are where it reads them. @throws BenchUsageError */
function checked<K extends "handler" | "suite">(kind: K, json: Record<string, unknown>, file: string): K {
  const bad = kind === "handler" ? badHandlerField(json) : badSuiteField(json);
  if (bad !== null)
    throw new BenchUsageError(
      `bench compare: ${file} looks like the JSON of ${kind === "handler" ? "a --handler run" : "a suite run"}, but ${bad}: was it edited or cut short?`,
    );
  return kind;
}

/** The first field a --handler result lacks for compare, or null. */
function badHandlerField(json: Record<string, unknown>): string | null {
  if (!Array.isArray(json["runs"])) return "runs is not an array";
  for (const [i, run] of (json["runs"] as unknown[]).entries()) {
    if (!isObject(run) || typeof run["mode"] !== "string" || typeof run["threads"] !== "number")
      return `runs[${i}] has no mode and threads`;
    const perRound = run["perRound"];
    if (!isObject(perRound)) return `runs[${i}].perRound is missing`;
    for (const key of ["eventsPerSec", "latencyP50Ms", "latencyP99Ms", "eventLoopDelayP99Ms", "mainThreadUsPerEvent"])
      if (!isNumbers(perRound[key])) return `runs[${i}].perRound.${key} is not a list of numbers`;
  }
  return null;
}

/** The first field a suite result lacks for compare, or null. */
function badSuiteField(json: Record<string, unknown>): string | null {
  const scenarios = json["scenarios"];
  if (!isObject(scenarios)) return "scenarios is not an object";
  for (const [name, scenario] of Object.entries(scenarios)) {
    if (!isObject(scenario) || !Array.isArray(scenario["tables"])) return `scenarios.${name}.tables is not an array`;
    for (const [t, table] of (scenario["tables"] as unknown[]).entries()) {
      if (!isObject(table) || typeof table["title"] !== "string" || !Array.isArray(table["rows"]))
        return `scenarios.${name}.tables[${t}] has no title and rows`;
      for (const [r, row] of (table["rows"] as unknown[]).entries())
        if (!isObject(row) || typeof row["name"] !== "string" || !isNumbers(row["roundMediansNs"]))
          return `scenarios.${name}.tables[${t}].rows[${r}] has no name and roundMediansNs`;
    }
  }
  return null;
}

/** Compares two result files. @throws BenchUsageError on unreadable or mismatched files. */
export function compareFiles(beforeFile: string, afterFile: string): Change[] {
  const before = read(beforeFile);
  const after = read(afterFile);
  const k = kind(before, beforeFile);
  if (kind(after, afterFile) !== k)
    throw new BenchUsageError(
      `bench compare: ${beforeFile} and ${afterFile} are results of different kinds (a --handler run and a suite run)`,
    );
  const figures =
    k === "handler"
      ? figuresOfHandler(before as HandlerResults, after as HandlerResults)
      : figuresOfSuite(before as SuiteJson, after as SuiteJson);
  if (figures.length === 0)
    throw new BenchUsageError(
      `bench compare: ${beforeFile} and ${afterFile} have no figure in common (different modes, thread counts or scenarios)`,
    );
  return figures.map(judge);
}

export function renderComparison(changes: readonly Change[], beforeFile: string, afterFile: string): string {
  const mark = (c: Change): string =>
    c.verdict === "better" ? "**better**" : c.verdict === "worse" ? "**worse**" : c.verdict;
  const rounds = (values: number[]): string => `${values.length}`;
  const flagged = changes.filter((c) => c.verdict === "better" || c.verdict === "worse");
  return [
    `## neurobus bench compare ${beforeFile} ${afterFile}`,
    "",
    "| figure | before | after | change | rounds (before / after) | beyond the runs' spread? |",
    "| --- | ---: | ---: | ---: | ---: | --- |",
    ...changes.map(
      (c) =>
        `| ${c.figure.label} | ${c.figure.format(c.before)} | ${c.figure.format(c.after)} | ${c.relative >= 0 ? "+" : ""}${(c.relative * 100).toFixed(1)}% | ${rounds(c.figure.before)} / ${rounds(c.figure.after)} | ${mark(c)} |`,
    ),
    "",
    `- Figures are medians over each run's rounds. A change is flagged when the ranges of per-round figures do not overlap; with a single round on either side the spread is unknown and nothing is flagged (rerun with more rounds).`,
    `- ${flagged.length} of ${changes.length} figures changed beyond the spread${flagged.length > 0 ? `: ${flagged.map((c) => `${c.figure.label} (${mark(c).replaceAll("*", "")})`).join("; ")}` : ""}.`,
    "",
  ].join("\n");
}
