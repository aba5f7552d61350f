/**
 * Rendering for the demo: the live progress line (stderr) and the final tables (stdout).
 * Plain text, no dependencies; box-drawing characters only.
 */
import type { DemoChecks, DemoReport, ProgressSample } from "./run-demo.js";

const int = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const dec = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });

function n(value: number): string {
  return int.format(value);
}

/** Milliseconds as a readable duration: µs below one millisecond. */
function ms(value: number): string {
  if (value === 0) return "0";
  return value < 1 ? `${dec.format(value * 1000)} µs` : `${dec.format(value)} ms`;
}

export interface ProgressView {
  /** How often the demo should sample: redraws are cheap on a terminal, lines are not. */
  intervalMs: number;
  update(sample: ProgressSample): void;
  /** Ends the line (TTY) so the tables start on a clean line. */
  done(): void;
}

/** The run's two budgets: it stops at whichever is reached first. */
export interface ProgressLimits {
  events: number;
  seconds: number;
}

const BAR_WIDTH = 20;

/** How far the run is, 0..1: the nearer of its two budgets. */
export function progressFraction(p: ProgressSample, limits: ProgressLimits): number {
  const byEvents = limits.events > 0 ? p.sent / limits.events : 0;
  const byTime = limits.seconds > 0 ? p.elapsedMs / 1000 / limits.seconds : 0;
  return Math.min(1, Math.max(0, byEvents, byTime));
}

/** `[#######-------------]  35%`, or nothing when the limits are unknown. */
function progressBar(p: ProgressSample, limits: ProgressLimits | undefined): string {
  if (limits === undefined) return "";
  return `${fractionBar(progressFraction(p, limits))}  `;
}

/** `[#######-------------]  35%` for a fraction 0..1 (the demo's and the benchmark's bar). */
export function fractionBar(fraction: number): string {
  const filled = Math.round(fraction * BAR_WIDTH);
  return `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`;
}

export function progressLine(p: ProgressSample, limits?: ProgressLimits): string {
  return (
    progressBar(p, limits) +
    `${dec.format(p.elapsedMs / 1000).padStart(5)} s  ${n(p.sent).padStart(9)} events  ` +
    `${n(p.eventsPerSecond).padStart(9)} ev/s  in flight ${n(p.inFlight).padStart(4)}  ` +
    `delivered ${n(p.delivered)}  filtered ${n(p.filtered)}  failed ${n(p.failed)}`
  );
}

/** A progress line redrawn in place on a terminal, or printed once a second to a pipe or file. */
export function createProgressView(stream: NodeJS.WriteStream, limits?: ProgressLimits): ProgressView {
  if (stream.isTTY === true) {
    let drawn = false;
    return {
      intervalMs: 100,
      update(sample) {
        const line = progressLine(sample, limits);
        const width = stream.columns > 1 ? stream.columns - 1 : line.length;
        stream.write(`\r\x1b[2K${line.slice(0, width)}`);
        drawn = true;
      },
      done() {
        if (drawn) stream.write("\n");
      },
    };
  }
  return {
    intervalMs: 1000,
    update(sample) {
      stream.write(`${progressLine(sample, limits)}\n`);
    },
    done() {},
  };
}

type Row = readonly (string | number)[];

/** A box-drawn table; numbers are formatted and right-aligned. */
export function table(title: string, header: Row, rows: readonly Row[]): string {
  const cells = [header, ...rows].map((row) => row.map((c) => (typeof c === "number" ? n(c) : c)));
  const numeric = header.map(
    (_, i) =>
      rows.length > 0 && rows.every((r) => typeof r[i] === "number" || /^[\d.,]+( [µm]?s)?$/.test(String(r[i]))),
  );
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (l: string, m: string, r: string): string => l + widths.map((w) => "─".repeat(w + 2)).join(m) + r;
  const fmt = (row: string[]): string =>
    "│" + row.map((c, i) => ` ${numeric[i] === true ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)} `).join("│") + "│";
  return [
    title,
    line("┌", "┬", "┐"),
    fmt(cells[0]!),
    line("├", "┼", "┤"),
    ...cells.slice(1).map(fmt),
    line("└", "┴", "┘"),
  ].join("\n");
}

const CHECK_LABELS: Record<keyof DemoChecks, string> = {
  emittedEqualsSent: "emitted = sent (and = sum of per-type counts)",
  outcomesAddUp: "delivered + filtered + failed = matched (bus counters = EmitResults)",
  errorsCountedAndReported: "every handler throw counted as failed and sent to onError",
  nothingElseLost: "the `*` handler saw every event despite the throws",
  onceRanOnce: "the `once` subscription ran once",
  drained: "nothing left in flight",
};

/** The final report as tables. */
export function renderReport(r: DemoReport): string {
  const h = r.handlers;
  const s = r.stats;
  const sections = [
    table(
      "Throughput",
      ["", "value"],
      [
        ["events sent", r.sent.total],
        [
          "  awaited emit / un-awaited burst / emitMany",
          `${n(r.sent.awaited)} / ${n(r.sent.burst)} / ${n(r.sent.batched)}`,
        ],
        ["workflows / agents", `${n(r.workflows)} / ${n(r.agents)}`],
        ["wall time", `${dec.format(r.durationMs / 1000)} s`],
        ["events/s", r.eventsPerSecond],
        ["stopped by", r.stoppedBy === "events" ? `--events ${n(r.options.events)}` : `--seconds ${r.options.seconds}`],
        ["burst emits in flight, peak (limit)", `${n(r.burstPeak)} (${n(r.options.maxConcurrent)})`],
      ],
    ),
    table(
      "Handler latency (getStats().latency, sampled)",
      ["samples", "mean", "p50", "p90", "p99", "p99.9"],
      [
        [
          r.latency.samples,
          ms(r.latency.meanMs),
          ms(r.latency.p50Ms),
          ms(r.latency.p90Ms),
          ms(r.latency.p99Ms),
          ms(r.latency.p999Ms),
        ],
      ],
    ),
    table(
      "Bus stats (getStats())",
      ["emitted", "delivered", "filtered", "failed", "in flight", "subscriptions", "history"],
      [
        [
          s.totalEventsEmitted,
          s.delivered,
          s.filteredOut,
          s.failed,
          s.inFlight,
          s.totalSubscriptions,
          `${n(s.historySize)}/${n(s.maxHistory)}`,
        ],
      ],
    ),
    table(
      "Worker pool (getStats().workers): compression.started, offloaded",
      ["threads", "completed", "failed", "in flight", "in flight, peak", "queue capacity"],
      [
        [
          r.workers.threads,
          r.workers.completed,
          r.workers.failed,
          r.workers.inFlight,
          r.workers.inFlightPeak,
          r.workers.queueCapacity,
        ],
      ],
    ),
    table(
      "Events by type (getStats().eventCounts)",
      ["type", "count"],
      Object.entries(s.eventCounts)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([type, count]) => [type, count]),
    ),
    table(
      "Subscribers",
      ["pattern", "kind", "saw"],
      [
        ["*", "sync", `${n(h.all)} events`],
        [
          "task.*",
          "sync",
          `started ${n(h.tasks.started)}, completed ${n(h.tasks.completed)}, failed ${n(h.tasks.failed)}, skipped ${n(h.tasks.skipped)}`,
        ],
        [
          "work* (prefix)",
          "async",
          `started ${n(h.workflows.started)}, completed ${n(h.workflows.completed)}, failed ${n(h.workflows.failed)}`,
        ],
        [
          "ag* (prefix)",
          "sync",
          `registered ${n(h.agents.registered)}, failed ${n(h.agents.failed)}, recovered ${n(h.agents.recovered)}, down now ${n(h.agents.down)}`,
        ],
        ["agent.heartbeat", "sync", `${n(h.heartbeats)} heartbeats`],
        ["*.failed + filter", "sync", `${n(h.criticalFailures)} critical (the rest filtered out)`],
        [
          "storage.*",
          "async I/O",
          `up ${n(h.storage.uploaded)}, read ${n(h.storage.retrieved)}, deleted ${n(h.storage.deleted)}, ${dec.format(h.storage.bytes / 2 ** 20)} MiB`,
        ],
        ["storage.retrieved", "sync, throws", `${n(h.checksumThrows)} checksum errors thrown`],
        ["agent.registered", "once", `ran ${n(h.onceRuns)} time(s)`],
      ],
    ),
    table(
      "Errors (onError)",
      ["reported", "by code", "samples"],
      [
        [
          r.errors.reported,
          Object.entries(r.errors.byCode)
            .map(([c, k]) => `${c} ${n(k)}`)
            .join(", ") || "none",
          r.errors.samples[0] ?? "",
        ],
      ],
    ),
    table(
      "History queries (getHistory, last 1000 events kept)",
      ["query", "matching", "latest"],
      r.history.map((a) => [
        JSON.stringify(a.query),
        a.count,
        a.events.map((e) => `${e.eventType}@${e.source}`).join(", "),
      ]),
    ),
    table(
      "Checks",
      ["", "ok"],
      (Object.keys(CHECK_LABELS) as (keyof DemoChecks)[]).map((k) => [CHECK_LABELS[k], r.checks[k] ? "yes" : "NO"]),
    ),
  ];
  return sections.join("\n\n") + "\n";
}
