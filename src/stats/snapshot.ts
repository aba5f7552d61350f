/**
 * Reading the statistics buffer: every stripe summed (layout.ts draws the buffer).
 */
import { quantileOf } from "./histogram.js";
import {
  HDR_WORKER_IN_FLIGHT,
  HDR_WORKER_IN_FLIGHT_PEAK,
  LAT_BUCKETS,
  S_DELIVERED,
  S_EMITTED,
  S_FAILED,
  S_FILTERED,
  S_IN_FLIGHT,
  S_LAT_BUCKETS,
  S_LAT_COUNT,
  S_LAT_SUM_NS,
  S_WORKER_COMPLETED,
  S_WORKER_FAILED,
  S_FOLLOW_UPS,
  S_FOLLOW_UPS_DROPPED,
  stripeOffset,
  type LayoutParams,
} from "./layout.js";

/**
 * Handler-time percentiles, in milliseconds, from the sampled histogram.
 *
 * @example
 * ```ts
 * const { samples, p50Ms, p99Ms } = bus.getStats().latency;
 * ```
 */
export interface LatencyStats {
  /** Deliveries timed (a sample of all deliveries, see `stats.sampleEvery`). */
  samples: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
}

export interface CounterSnapshot {
  emitted: number;
  delivered: number;
  filteredOut: number;
  failed: number;
  inFlight: number;
  workerCompleted: number;
  workerFailed: number;
  followUps: number;
  followUpsDropped: number;
  workerInFlight: number;
  workerInFlightPeak: number;
  latency: LatencyStats;
  /** Raw histogram bucket counts (summed over stripes), for exporters. */
  latencyBuckets: number[];
}

function sum(slots: BigInt64Array, params: LayoutParams, slot: number): number {
  let total = 0n;
  for (let stripe = 0; stripe <= params.workerStripes; stripe++) {
    total += Atomics.load(slots, stripeOffset(stripe) + slot);
  }
  return Number(total);
}

/** The counters of every stripe, summed. */
export function readSnapshot(slots: BigInt64Array, params: LayoutParams): CounterSnapshot {
  const total = (slot: number): number => sum(slots, params, slot);
  const buckets: number[] = [];
  for (let b = 0; b < LAT_BUCKETS; b++) buckets.push(total(S_LAT_BUCKETS + b));
  const samples = total(S_LAT_COUNT);
  const ms = (q: number): number => quantileOf(buckets, q) / 1e6;
  return {
    emitted: total(S_EMITTED),
    delivered: total(S_DELIVERED),
    filteredOut: total(S_FILTERED),
    failed: total(S_FAILED),
    inFlight: total(S_IN_FLIGHT),
    workerCompleted: total(S_WORKER_COMPLETED),
    workerFailed: total(S_WORKER_FAILED),
    followUps: total(S_FOLLOW_UPS),
    followUpsDropped: total(S_FOLLOW_UPS_DROPPED),
    workerInFlight: Number(Atomics.load(slots, HDR_WORKER_IN_FLIGHT)),
    workerInFlightPeak: Number(Atomics.load(slots, HDR_WORKER_IN_FLIGHT_PEAK)),
    latency: {
      samples,
      meanMs: samples === 0 ? 0 : total(S_LAT_SUM_NS) / samples / 1e6,
      p50Ms: ms(0.5),
      p90Ms: ms(0.9),
      p99Ms: ms(0.99),
      p999Ms: ms(0.999),
    },
    latencyBuckets: buckets,
  };
}
