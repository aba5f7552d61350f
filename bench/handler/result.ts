/**
 * What `neurobus bench --handler` measures and writes (the JSON shape is public: scripts and CI
 * read it, so its names do not change; fields may be added).
 */
import { quantile } from "../harness.js";

/** Below this many event-loop delay samples a p99 means nothing: tables mark the figure. */
export const MIN_DELAY_SAMPLES = 20;

export type Mode = "inline" | "offload";

export interface LatencyMs {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** One mode (inline, or offloaded with `threads` threads), measured over `rounds` rounds. */
export interface HandlerRun {
  mode: Mode;
  /** Worker threads; 0 inline. */
  threads: number;
  /** Events measured (warmup excluded). */
  events: number;
  /** Median over rounds of each round's events / wall-clock seconds. */
  eventsPerSec: number;
  /** Exact percentiles of every measured event's emit-to-done latency (open loop: from its due time). */
  latencyMs: LatencyMs;
  eventLoopDelayP99Ms: number;
  eventLoopDelaySamples: number;
  /** Whether eventLoopDelaySamples is below MIN_DELAY_SAMPLES (the p99 then means nothing). */
  eventLoopDelayTooFewSamples: boolean;
  /**
   * Main-thread busy time (event-loop utilisation) per event, median over rounds. Null in the open
   * loop: its pacing turns the event loop between events, and that busy time is the pacer's.
   */
  mainThreadUsPerEvent: number | null;
  /** Process CPU time (all threads) / wall-clock time, over the measured rounds. Null in the open loop. */
  cpuCores: number | null;
  /** Events whose handler threw or rejected. */
  failed: number;
  firstError: string | null;
  rounds: number;
  /** The per-round figures behind the medians: the spread `compare` judges changes against. */
  perRound: {
    eventsPerSec: number[];
    latencyP50Ms: number[];
    latencyP99Ms: number[];
    eventLoopDelayP99Ms: number[];
    /** Empty in the open loop. */
    mainThreadUsPerEvent: number[];
  };
}

export interface Recommendation {
  /** "none": every measured event failed, so the figures say nothing of the handler. */
  mode: Mode | "none";
  /** Thread count to offload with; 0 inline. */
  threads: number;
  reason: string;
}

export interface HandlerResults {
  handler: string;
  node: string;
  cpus: number;
  package: string;
  type: string;
  /** "closed": full speed with `window` emits in flight; "open": `rate` events/s on a schedule. */
  loop: "closed" | "open";
  window: number | null;
  rate: number | null;
  warmupEvents: number;
  rounds: number;
  date: string;
  runs: HandlerRun[];
  recommendation: Recommendation;
}

/** Exact percentiles of the recorded latencies (sorted in place), so p50 ≤ p90 ≤ p99 ≤ p99.9 ≤ max. */
export function latencyPercentiles(latencies: Float64Array): LatencyMs {
  if (latencies.length === 0) return { p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  latencies.sort();
  const sorted = latencies as unknown as readonly number[];
  return {
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    p999: quantile(sorted, 0.999),
    max: latencies[latencies.length - 1]!,
  };
}

export function runLabel(run: Pick<HandlerRun, "mode" | "threads">): string {
  return run.mode === "inline" ? "inline" : `offload ×${run.threads}`;
}
