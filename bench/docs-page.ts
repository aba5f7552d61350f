/**
 * docs/benchmarks.md, written by `neurobus bench --write-docs docs/benchmarks.md` rather than by
 * hand: how far every figure moved across several full runs of the suite, then the last run in
 * full. Figures from one run only would hide how much a shared machine moves them.
 */
import { formatNs, median } from "./harness.js";
import type { SuiteRun } from "./suite.js";

function acrossRuns(runs: readonly SuiteRun[]): string[] {
  const rows = new Map<string, number[]>();
  for (const run of runs) {
    for (const scenario of Object.values(run.scenarios)) {
      for (const table of scenario.tables) {
        for (const row of table.rows) {
          const key = `${table.title} | ${row.name}`;
          rows.set(key, [...(rows.get(key) ?? []), row.medianNs]);
        }
      }
    }
  }
  const lines = [
    `| table | task | median / op of the ${runs.length} runs | lowest | highest | (highest − lowest) / median |`,
    "| --- | --- | ---: | ---: | ---: | ---: |",
  ];
  const spreads: number[] = [];
  for (const [key, values] of rows) {
    const m = median(values);
    const spread = (Math.max(...values) - Math.min(...values)) / m;
    spreads.push(spread);
    lines.push(
      `| ${key} | ${formatNs(m)} | ${formatNs(Math.min(...values))} | ${formatNs(Math.max(...values))} | ${(spread * 100).toFixed(0)}% |`,
    );
  }
  const summary =
    spreads.length === 0
      ? "No table was measured."
      : `Across the ${runs.length} runs, a task's median moved by ${(median(spreads) * 100).toFixed(0)}% (median over tasks) and by up to ${(Math.max(...spreads) * 100).toFixed(0)}% (highest − lowest, relative to the median of the runs).`;
  return [summary, "", ...lines];
}

function goalsAcrossRuns(runs: readonly SuiteRun[]): string[] {
  const goals = runs.at(-1)!.goals.map((g) => g.goal);
  if (goals.length === 0) return [];
  return [
    `| goal | ${runs.map((_, i) => `run ${i + 1}`).join(" | ")} |`,
    `| --- | ${runs.map(() => "---").join(" | ")} |`,
    ...goals.map(
      (goal) =>
        `| ${goal} | ${runs
          .map((r) => {
            const g = r.goals.find((x) => x.goal === goal);
            return g === undefined ? "" : `${g.measured}${g.met ? "" : " (not met)"}`;
          })
          .join(" | ")} |`,
    ),
  ];
}

export function writeDocsPage(runs: readonly SuiteRun[]): string {
  const last = runs.at(-1)!;
  const quick = last.config.quick ? " --quick" : "";
  const skipped =
    last.skipped.length === 0
      ? []
      : [
          "",
          `Skipped in these runs (peer not installed): ${last.skipped.map((s) => `${s.name} (${s.missing.join(", ")})`).join("; ")}.`,
        ];
  return [
    "# Benchmarks",
    "",
    `This page is written by \`npx neurobus bench${quick} --write-docs docs/benchmarks.md --repeat ${runs.length}\` (from a checkout: \`npm run bench --${quick} --write-docs docs/benchmarks.md --repeat ${runs.length}\`): ${runs.length} runs of the whole suite one after the other, on the machine described below. Do not edit it by hand; rerun it. To measure your own handlers, see [Benchmark your own handlers](benchmark-your-handlers.md).`,
    "",
    "Figures on a shared machine move between runs (other tenants, CPU frequency, the JIT): the first section says how far they moved across these runs, so that no single figure below is read more precisely than it is. Compare two runs with `neurobus bench compare before.json after.json` (write them with `--json`).",
    "",
    `The machine's 1-minute load average when each run started: ${runs.map((r) => r.loadAverage.toFixed(1)).join(", ")} (on ${last.environment.cores} cores: above ${last.environment.cores}, other work was competing for the CPU, and every figure is slower and noisier than on a quiet machine).`,
    ...skipped,
    "",
    `## How far figures moved across ${runs.length} runs`,
    "",
    ...acrossRuns(runs),
    "",
    ...(goalsAcrossRuns(runs).length > 0 ? ["Goals, as measured in each run:", "", ...goalsAcrossRuns(runs), ""] : []),
    `## The last run in full`,
    "",
    last.markdown.replace(/^(#{2,3}) /gm, "#$1 ").trimEnd(),
    "",
  ].join("\n");
}
