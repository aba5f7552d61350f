/**
 * The built-in suite: `neurobus bench [--quick] [--only <scenario>]... [--json FILE] [--report
 * FILE.html] [--write-docs FILE.md [--repeat N]]`.
 *
 * Runs the scenarios in one process, so every ratio compares figures measured in the same run on
 * the same machine, and prints markdown tables. A scenario whose peer libraries are not installed
 * is skipped with the command that adds them.
 */
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { writeDocsPage } from "./docs-page.js";
import { HANDLER_USAGE } from "./handler/options.js";
import { describeEnvironment, environment, renderTable, type Environment, type RunConfig } from "./harness.js";
import { missingPeers, skipLine } from "./peers.js";
import type { Progress } from "./progress.js";
import type { Goal, ScenarioOutput } from "./registry.js";
import { suiteReportHtml } from "./report/suite-report.js";
import { SCENARIOS } from "./scenarios/index.js";
import { BenchUsageError, checkOutputFile, positiveInt, usageErrors } from "./usage-error.js";

export const SUITE_USAGE = `Usage: neurobus bench [options]                        the built-in suite
       neurobus bench --handler FILE#EXPORT [options]  your own handler (its options are below)
       neurobus bench compare BEFORE.json AFTER.json   two runs' figures side by side

Options of the suite:
  --quick              a smoke run: short, one round, figures are rough
  --only NAME          run only this scenario (repeatable): ${SCENARIOS.map((s) => s.name).join(", ")}
  --json FILE          write the results as JSON (readable by bench compare)
  --report FILE.html   write a self-contained HTML report with charts
  --write-docs FILE.md write the benchmark page: the last run in full, and how far figures moved
                       across --repeat runs
  --repeat N           runs of the suite for --write-docs (default 3)
  -h, --help           show this help

Scenarios that compare against a peer library (qlobber, emittery ...) run only where it is installed;
the others need nothing beyond this package.
`;

export interface SuiteRun {
  environment: Environment;
  config: RunConfig;
  /** Markdown of the whole run, as printed. */
  markdown: string;
  scenarios: Record<string, ScenarioOutput>;
  skipped: { name: string; missing: string[] }[];
  goals: Goal[];
  /** The machine's 1-minute load average when the run started (other work competing for the CPU). */
  loadAverage: number;
}

interface SuiteArgs {
  quick: boolean;
  only: string[];
  json: string | undefined;
  report: string | undefined;
  writeDocs: string | undefined;
  repeat: number;
}

export function parseSuiteArgs(args: string[]): SuiteArgs | { help: true } {
  const { values } = usageErrors(() =>
    parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        quick: { type: "boolean", default: false },
        only: { type: "string", multiple: true },
        json: { type: "string" },
        report: { type: "string" },
        "write-docs": { type: "string" },
        repeat: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }),
  );
  if (values.help) return { help: true };
  const only = values.only ?? [];
  const unknown = only.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0)
    throw new BenchUsageError(
      `unknown scenario ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.name).join(", ")}`,
    );
  if (values.report !== undefined && !/\.html?$/i.test(values.report))
    throw new BenchUsageError(`--report writes HTML: give a file name ending in .html, got "${values.report}"`);
  if (values.repeat !== undefined && values["write-docs"] === undefined)
    throw new BenchUsageError("--repeat is for --write-docs (the runs the page's spread is measured over)");
  // Checked now, not after runs of minutes whose results would then be lost.
  if (values.json !== undefined) checkOutputFile("json", values.json);
  if (values.report !== undefined) checkOutputFile("report", values.report);
  if (values["write-docs"] !== undefined) checkOutputFile("write-docs", values["write-docs"]);
  return {
    quick: values.quick,
    only,
    json: values.json,
    report: values.report,
    writeDocs: values["write-docs"],
    repeat: values.repeat === undefined ? 3 : positiveInt("repeat", values.repeat),
  };
}

/** One run of the selected scenarios; prints its markdown on stdout as it goes. */
export async function runSuite(
  quick: boolean,
  only: readonly string[],
  progress: Progress,
  print: (text: string) => void = (t) => process.stdout.write(t),
): Promise<SuiteRun> {
  const config: RunConfig = quick
    ? { quick: true, timeMs: 60, warmupMs: 15, rounds: 1 }
    : { quick: false, timeMs: 1500, warmupMs: 100, rounds: 3 };
  const env = environment();
  const loadAverage = loadavg()[0] ?? 0;
  const chunks: string[] = [];
  const out = (text: string): void => {
    chunks.push(text);
    print(text);
  };
  out(`## @neurectomy/event-bus benchmarks${quick ? " (--quick smoke run: figures are rough)" : ""}\n\n`);
  out(`${describeEnvironment(env)}\n\n`);
  out(
    `Rerun: \`npx neurobus bench${quick ? " --quick" : ""}${only.map((name) => ` --only ${name}`).join("")}\`. Ratios compare figures of this one run; above 1x the task is faster than the reference. Medians and p99 are per operation (p99 of batch means), medians over the rounds in which each table's tasks are measured in turn (${config.rounds} by default${quick ? "" : "; 6 for the matcher, 12 for the stats cost"}); each table gives its rounds, timed iterations and the spread of its round medians.\n\n`,
  );
  const selected = only.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => only.includes(s.name));
  const scenarios: Record<string, ScenarioOutput> = {};
  const skipped: SuiteRun["skipped"] = [];
  const goals: Goal[] = [];
  for (const [i, scenario] of selected.entries()) {
    progress.update(i / selected.length, scenario.name);
    const missing = missingPeers(scenario.peers);
    out(`## ${scenario.title}\n\n`);
    if (missing.length > 0) {
      skipped.push({ name: scenario.name, missing });
      out(`${skipLine(`scenario "${scenario.name}"`, missing)}\n\n`);
      continue;
    }
    const started = performance.now();
    const output = await (await scenario.load()).run(config, env);
    scenarios[scenario.name] = output;
    for (const table of output.tables) out(`${renderTable(env, table)}\n\n`);
    for (const text of output.text ?? []) out(`${text}\n\n`);
    goals.push(...(output.goals ?? []));
    progress.update((i + 1) / selected.length, scenario.name);
    if (process.stderr.isTTY !== true)
      process.stderr.write(`(${scenario.name}: ${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  }
  progress.done();
  if (goals.length > 0) {
    out("## Goals\n\n");
    out(
      quick
        ? "A --quick run judges no goal: one short round of cold code cannot. The last column says where this run's rough figures fell; run without --quick to judge.\n\n"
        : "Speed goals are judged on the median over rounds of the ratio measured within each round (both tasks measured close together in time).\n\n",
    );
    const verdict = (met: boolean): string => (quick ? (met ? "rough: yes" : "rough: no") : met ? "yes" : "**no**");
    out(
      `| goal | measured | ${quick ? "not judged" : "met"} |\n| --- | --- | --- |\n${goals.map((g) => `| ${g.goal} | ${g.measured} | ${verdict(g.met)} |`).join("\n")}\n\n`,
    );
  }
  return { environment: env, config, markdown: chunks.join(""), scenarios, skipped, goals, loadAverage };
}

export async function suiteMain(args: string[], progress: Progress): Promise<number> {
  const parsed = parseSuiteArgs(args);
  if ("help" in parsed) {
    process.stdout.write(`${SUITE_USAGE}\n${HANDLER_USAGE}`);
    return 0;
  }
  const runs: SuiteRun[] = [];
  const repeat = parsed.writeDocs === undefined ? 1 : parsed.repeat;
  for (let i = 0; i < repeat; i++) {
    if (repeat > 1) process.stderr.write(`run ${i + 1} of ${repeat}\n`);
    // Only the last run is printed in full; the earlier ones feed the page's spread across runs.
    runs.push(await runSuite(parsed.quick, parsed.only, progress, i === repeat - 1 ? undefined : () => {}));
  }
  const last = runs.at(-1)!;
  if (parsed.json !== undefined) {
    writeFileSync(
      parsed.json,
      `${JSON.stringify({ environment: last.environment, config: last.config, scenarios: last.scenarios, skipped: last.skipped, goals: last.goals }, null, 2)}\n`,
    );
    process.stderr.write(`wrote ${parsed.json}\n`);
  }
  if (parsed.report !== undefined) {
    writeFileSync(parsed.report, suiteReportHtml(last));
    process.stderr.write(`wrote ${parsed.report}\n`);
  }
  if (parsed.writeDocs !== undefined) {
    writeFileSync(parsed.writeDocs, writeDocsPage(runs));
    process.stderr.write(`wrote ${parsed.writeDocs} (${runs.length} runs)\n`);
  }
  return 0;
}
