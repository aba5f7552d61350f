/** The HTML report of the built-in suite: one chart per table, then the run's text as printed. */
import { formatRate, type Table } from "../harness.js";
import type { SuiteRun } from "../suite.js";
import { htmlPage, type ReportPart } from "./html.js";
import { barChart } from "./svg.js";

/** Past this ratio between the fastest and the slowest task a linear axis hides the slow ones. */
const LOG_ABOVE = 50;

export function tableChart(table: Table): string {
  const rates = table.rows.map((r) => r.opsPerSec);
  return barChart({
    title: table.title,
    note: `Median of ${table.rounds} round${table.rounds === 1 ? "" : "s"}${table.rounds > 1 ? "; the whisker spans the slowest to the fastest round" : ""}.`,
    valueLabel: "operations per second",
    categoryLabel: "task",
    series: ["ops/s"],
    categories: table.rows.map((r) => ({
      label: r.name,
      bars: [
        { value: r.opsPerSec, min: 1e9 / Math.max(...r.roundMediansNs), max: 1e9 / Math.min(...r.roundMediansNs) },
      ],
    })),
    log: Math.max(...rates) / Math.min(...rates) > LOG_ABOVE,
    format: formatRate,
  });
}

export function suiteReportHtml(run: SuiteRun): string {
  const charts: ReportPart[] = Object.values(run.scenarios).flatMap((s) =>
    s.tables.map((t) => ({ html: tableChart(t) })),
  );
  return htmlPage("@neurectomy/event-bus benchmarks", [
    { markdown: "## Charts" },
    ...charts,
    { markdown: run.markdown },
  ]);
}
