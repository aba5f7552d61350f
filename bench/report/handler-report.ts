/** The HTML report of a `--handler` run: the advice, three charts, and the table as text. */
import { formatRate } from "../harness.js";
import { formatMs, renderHandlerReport } from "../handler/render.js";
import { runLabel, type HandlerResults } from "../handler/result.js";
import { htmlPage } from "./html.js";
import { barChart, escapeXml } from "./svg.js";

const PERCENTILES = [
  ["p50", "p50"],
  ["p90", "p90"],
  ["p99", "p99"],
  ["p999", "p99.9"],
  ["max", "max"],
] as const;

export function handlerCharts(results: HandlerResults): string[] {
  const throughput = barChart({
    title: "Throughput by mode and thread count",
    note: `Median of ${results.rounds} rounds; the whisker spans the slowest to the fastest round.`,
    valueLabel: "events per second",
    categoryLabel: "mode (threads)",
    series: ["events/s"],
    categories: results.runs.map((r) => ({
      label: runLabel(r),
      bars: [
        { value: r.eventsPerSec, min: Math.min(...r.perRound.eventsPerSec), max: Math.max(...r.perRound.eventsPerSec) },
      ],
    })),
    format: formatRate,
  });
  const latency = barChart({
    title: "Emit-to-done latency percentiles by mode",
    note: `Exact percentiles over every measured event${results.loop === "open" ? ", counted from each event's scheduled time" : ""}.`,
    valueLabel: "latency, milliseconds",
    categoryLabel: "mode (threads)",
    series: PERCENTILES.map(([, label]) => label),
    categories: results.runs.map((r) => ({
      label: runLabel(r),
      bars: PERCENTILES.map(([key]) => ({ value: Math.max(r.latencyMs[key], 1e-4) })),
    })),
    log: true,
    format: formatMs,
  });
  const delay = barChart({
    title: "Main-thread event-loop delay p99 by mode",
    note: "How late a 1 ms timer fired; hatched: too few samples to mean anything.",
    valueLabel: "event-loop delay p99, milliseconds",
    categoryLabel: "mode (threads)",
    series: ["delay p99"],
    categories: results.runs.map((r) => ({
      label: `${runLabel(r)} (${r.eventLoopDelaySamples} samples)`,
      bars: [
        r.eventLoopDelayTooFewSamples
          ? { value: r.eventLoopDelayP99Ms, flag: "too few samples" }
          : { value: r.eventLoopDelayP99Ms },
      ],
    })),
    format: formatMs,
  });
  return [throughput, latency, delay];
}

export function handlerReportHtml(results: HandlerResults): string {
  return htmlPage(`neurobus bench: ${results.handler}`, [
    { html: `<p class="advice"><strong>Advice:</strong> ${escapeXml(results.recommendation.reason)}.</p>` },
    ...handlerCharts(results).map((html) => ({ html })),
    { markdown: renderHandlerReport(results).replace(/^## .*\n/, "## Figures\n") },
  ]);
}
