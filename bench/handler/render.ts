/** The markdown of a `--handler` run: what was run, the table, what stands behind it, the advice. */
import { describeSpread, formatRate } from "../harness.js";
import { MIN_DELAY_SAMPLES, runLabel, type HandlerResults, type HandlerRun } from "./result.js";

/** Milliseconds with a precision that suits their size. */
export function formatMs(ms: number): string {
  if (ms === 0) return "0";
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(ms >= 0.01 ? 0 : 1)} µs`;
}

export function delayCell(run: HandlerRun): string {
  const figure = `${formatMs(run.eventLoopDelayP99Ms)} (${run.eventLoopDelaySamples} samples)`;
  return run.eventLoopDelayTooFewSamples
    ? `${formatMs(run.eventLoopDelayP99Ms)}: too few samples (${run.eventLoopDelaySamples}) to mean anything`
    : figure;
}

export function describeLoad(results: HandlerResults): string {
  return results.loop === "closed"
    ? `closed loop at full speed, ${results.window} emits in flight per window, the event loop turning between windows`
    : `open loop at ${formatRate(results.rate!)} offered, latency counted from each event's scheduled time`;
}

export function renderHandlerTable(results: HandlerResults): string {
  const anyFailed = results.runs.some((r) => r.failed > 0);
  const header = [
    "mode",
    "events",
    "events/s (median)",
    "spread",
    "p50",
    "p90",
    "p99",
    "p99.9",
    "max",
    "event-loop delay p99",
    "main thread µs/event",
    "CPU (cores)",
  ];
  if (anyFailed) header.push("failed");
  const rows = results.runs.map((r) => {
    const cells = [
      runLabel(r),
      r.events.toLocaleString("en-US"),
      formatRate(r.eventsPerSec),
      describeSpread(r.perRound.eventsPerSec),
      formatMs(r.latencyMs.p50),
      formatMs(r.latencyMs.p90),
      formatMs(r.latencyMs.p99),
      formatMs(r.latencyMs.p999),
      formatMs(r.latencyMs.max),
      delayCell(r),
      r.mainThreadUsPerEvent === null ? "—" : r.mainThreadUsPerEvent.toFixed(r.mainThreadUsPerEvent >= 100 ? 0 : 1),
      r.cpuCores === null ? "—" : r.cpuCores.toFixed(2),
    ];
    if (anyFailed) cells.push(String(r.failed));
    return `| ${cells.join(" | ")} |`;
  });
  const align = header.map((_, i) => (i === 0 ? "---" : "---:"));
  return [`| ${header.join(" | ")} |`, `| ${align.join(" | ")} |`, ...rows].join("\n");
}

export function renderHandlerReport(results: HandlerResults): string {
  const perMode = results.runs[0]?.events ?? 0;
  const lines = [
    `## neurobus bench --handler ${results.handler}`,
    "",
    `Event type \`${results.type}\`; ${describeLoad(results)}. Node ${results.node}, ${results.cpus} CPUs, @neurectomy/event-bus ${results.package}, ${results.date}.`,
    "",
    renderHandlerTable(results),
    "",
    `- ${results.rounds} round${results.rounds === 1 ? "" : "s"} per mode, the modes taking turns, ${perMode.toLocaleString("en-US")} measured events per mode after ${results.warmupEvents.toLocaleString("en-US")} warmup events. events/s: median of the rounds; spread: ± half the range of the per-round rates.`,
    "- Latency: emit to EmitResult (every handler done), exact percentiles over every measured event of the mode.",
    `- Event-loop delay: p99 of how late a 1 ms timer fired while the mode ran (as monitorEventLoopDelay samples it), with its sample count; under ${MIN_DELAY_SAMPLES} samples it is marked as meaning nothing. ${results.loop === "closed" ? "Main thread µs/event: event-loop busy time per event (median of the rounds). CPU: process CPU time (all threads) / wall time." : "Main thread µs/event and CPU: measured in the closed loop only (run without --rate); in the open loop the pacing itself keeps the main thread turning between events."}`,
  ];
  for (const r of results.runs.filter((x) => x.failed > 0))
    lines.push(`- ${runLabel(r)}: ${r.failed} events failed; first error: ${r.firstError ?? "unknown"}`);
  lines.push("", `**Advice:** ${results.recommendation.reason}.`, "");
  return lines.join("\n");
}
