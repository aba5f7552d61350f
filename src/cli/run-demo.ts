/**
 * runDemo: the simulated Neurectomy workflow on one in-process bus, bounded by an event count and
 * a wall-clock time, ending with a report whose figures can be checked against each other.
 */
import { EventBus, type BusError, type BusStats, type LatencyStats } from "../index.js";
import { newTally, subscribeDemoHandlers, type HandlerTally } from "./demo-handlers.js";
import { LoadDriver, type OutcomeTotals, type SentCounts, type StopReason } from "./load-driver.js";
import { seededRandom } from "../seeded-random.js";
import { messageOf } from "../describe-input.js";
import { AGENTS, runWorkload } from "./workflow.js";

export const DEFAULT_EVENTS = 1_000_000;
export const DEFAULT_SECONDS = 10;

export interface DemoOptions {
  /** Events to emit at most. Default 1,000,000. */
  events?: number;
  /** Seconds to emit for at most (draining the last deliveries comes after). Default 10. */
  seconds?: number;
  /** Seed of the generator that picks outcomes. Default 42. */
  seed?: number;
  /** Un-awaited emits in flight at most. Default 256. */
  maxConcurrent?: number;
  /** Receives a progress sample every `progressIntervalMs` while the demo runs. */
  onProgress?: (sample: ProgressSample) => void;
  /** Default 1000. */
  progressIntervalMs?: number;
}

export interface ProgressSample {
  elapsedMs: number;
  sent: number;
  /** Over the last interval. */
  eventsPerSecond: number;
  inFlight: number;
  delivered: number;
  filtered: number;
  failed: number;
}

/** One getHistory query of the end of the run, and what it returned. */
export interface HistoryAnswer {
  query: { pattern?: string; source?: string; limit?: number };
  count: number;
  events: { eventType: string; source: string; eventId: string; timestamp: string }[];
}

export interface DemoReport {
  options: { events: number; seconds: number; seed: number; maxConcurrent: number };
  stoppedBy: StopReason;
  /** From the first emit to the last delivery settled. */
  durationMs: number;
  eventsPerSecond: number;
  workflows: number;
  agents: number;
  sent: SentCounts;
  /** Un-awaited emits in flight at once, at most. */
  burstPeak: number;
  /** The sum of every EmitResult. */
  results: OutcomeTotals;
  /** What onError received, by code, with a few samples. */
  errors: { reported: number; byCode: Record<string, number>; samples: string[] };
  /** Emits that rejected (none are expected). */
  rejectedEmits: number;
  handlers: HandlerTally;
  stats: Omit<BusStats, "latency" | "workers" | "bridge">;
  /** The worker pool that ran the offloaded compression handler. */
  workers: BusStats["workers"];
  latency: LatencyStats;
  history: HistoryAnswer[];
  /** Cross-checks of the figures above; the CLI exits 1 when one is false. */
  checks: DemoChecks;
}

export interface DemoChecks {
  /** stats.totalEventsEmitted and the per-type counts equal the events sent. */
  emittedEqualsSent: boolean;
  /** delivered + filtered + failed = matched, and the bus's counters equal the EmitResults' sums. */
  outcomesAddUp: boolean;
  /** Every throw of the flaky handler was counted as failed and reached onError. */
  errorsCountedAndReported: boolean;
  /** The `*` handler saw every event: a throwing handler made no other delivery get lost. */
  nothingElseLost: boolean;
  /** The `once` subscription ran exactly once (or never, if no agent registered). */
  onceRanOnce: boolean;
  /** Nothing left in flight after the drain. */
  drained: boolean;
}

const SAMPLE_ERRORS = 3;

function positive(name: string, value: number, integer: boolean): number {
  if (!(Number.isFinite(value) && value > 0) || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${name} must be a positive ${integer ? "integer" : "number"}, got ${value}`);
  }
  return value;
}

/**
 * Runs the demo and returns its report.
 *
 * @example
 * ```ts
 * const report = await runDemo({ events: 5000 });
 * console.log(report.eventsPerSecond, report.checks);
 * ```
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoReport> {
  const events = positive("events", options.events ?? DEFAULT_EVENTS, true);
  const seconds = positive("seconds", options.seconds ?? DEFAULT_SECONDS, false);
  const seed = options.seed ?? 42;
  const maxConcurrent = positive("maxConcurrent", options.maxConcurrent ?? 256, true);

  const errors: DemoReport["errors"] = { reported: 0, byCode: {}, samples: [] };
  const onError = (error: BusError): void => {
    errors.reported++;
    errors.byCode[error.code] = (errors.byCode[error.code] ?? 0) + 1;
    if (errors.samples.length < SAMPLE_ERRORS)
      errors.samples.push(`${error.code} [${error.pattern ?? "?"}] ${messageOf(error.cause)}`);
  };
  const bus = new EventBus({ maxHistory: 1000, onError });
  const tally = newTally();
  subscribeDemoHandlers(bus, tally);

  const started = performance.now();
  const driver = new LoadDriver(bus, { events, deadline: started + seconds * 1000, maxConcurrent });
  const stopProgress = startProgress(bus, driver, started, options);
  let workflows: number;
  try {
    workflows = await runWorkload(driver, seededRandom(seed));
    await driver.drain();
  } catch (err) {
    await bus.close();
    throw err;
  } finally {
    stopProgress();
  }
  const durationMs = performance.now() - started;

  const { latency, workers, bridge: _bridge, ...stats } = bus.getStats();
  const history = queryHistory(bus);
  await bus.close();

  const report: DemoReport = {
    options: { events, seconds, seed, maxConcurrent },
    stoppedBy: driver.stoppedBy ?? "events",
    durationMs,
    eventsPerSecond: durationMs > 0 ? (driver.sent.total / durationMs) * 1000 : 0,
    workflows,
    agents: AGENTS,
    sent: { ...driver.sent },
    burstPeak: driver.pendingPeak,
    results: { ...driver.totals },
    errors,
    rejectedEmits: driver.rejections.length,
    handlers: tally,
    stats,
    workers,
    latency,
    history,
    checks: {
      emittedEqualsSent: false,
      outcomesAddUp: false,
      errorsCountedAndReported: false,
      nothingElseLost: false,
      onceRanOnce: false,
      drained: false,
    },
  };
  report.checks = checkReport(report);
  return report;
}

/** The figures a correct bus makes agree, computed from the report alone. */
function checkReport(r: DemoReport): DemoChecks {
  const perType = Object.values(r.stats.eventCounts).reduce((a, b) => a + b, 0) + r.stats.eventCountsOverflow;
  const res = r.results;
  const registered = r.stats.eventCounts["agent.registered"] ?? 0;
  return {
    emittedEqualsSent: r.stats.totalEventsEmitted === r.sent.total && perType === r.sent.total,
    outcomesAddUp:
      res.delivered + res.filtered + res.failed === res.matched &&
      r.stats.delivered === res.delivered &&
      r.stats.filteredOut === res.filtered &&
      r.stats.failed === res.failed,
    errorsCountedAndReported:
      r.handlers.checksumThrows === res.failed && r.errors.reported === res.failed && r.rejectedEmits === 0,
    nothingElseLost: r.handlers.all === r.sent.total,
    onceRanOnce: r.handlers.onceRuns === Math.min(1, registered),
    drained: r.stats.inFlight === 0,
  };
}

function queryHistory(bus: EventBus): HistoryAnswer[] {
  const queries: HistoryAnswer["query"][] = [
    { pattern: "*.failed", limit: 3 },
    { pattern: "storage.*", limit: 3 },
    { source: "agent-3", limit: 3 },
    { pattern: "work*" },
  ];
  return queries.map((query) => {
    // Count everything that matches, then keep only the last few for display.
    const { limit, ...rest } = query;
    const all = bus.getHistory(rest);
    const shown = limit === undefined ? all.slice(-3) : bus.getHistory(query);
    return {
      query,
      count: all.length,
      events: shown.map((e) => ({
        eventType: e.eventType,
        source: e.source,
        eventId: e.eventId,
        timestamp: e.timestamp.toISOString(),
      })),
    };
  });
}

function startProgress(bus: EventBus, driver: LoadDriver, started: number, options: DemoOptions): () => void {
  const onProgress = options.onProgress;
  if (onProgress === undefined) return () => undefined;
  let lastAt = started;
  let lastSent = 0;
  // Live samples show the rate over the last interval; the final one, the rate of the whole run.
  const sample = (final: boolean): void => {
    const now = performance.now();
    const s = bus.getStats();
    const sent = driver.sent.total;
    const [since, base] = final ? [started, 0] : [lastAt, lastSent];
    onProgress({
      elapsedMs: now - started,
      sent,
      eventsPerSecond: now > since ? ((sent - base) / (now - since)) * 1000 : 0,
      inFlight: s.inFlight,
      delivered: s.delivered,
      filtered: s.filteredOut,
      failed: s.failed,
    });
    lastAt = now;
    lastSent = sent;
  };
  const timer = setInterval(() => sample(false), options.progressIntervalMs ?? 1000);
  return () => {
    clearInterval(timer);
    sample(true);
  };
}
