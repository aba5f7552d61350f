/**
 * StatsBlock: one thread's view of the shared statistics buffer (layout.ts draws it).
 * Writes go to this thread's own stripe; reads sum every stripe.
 */
import { bucketOf, quantileOf } from "./histogram.js";
import {
  HDR_MAGIC,
  HDR_NEXT_STRIPE,
  HDR_TYPE_CAPACITY,
  HDR_VERSION,
  HDR_WORKER_IN_FLIGHT,
  HDR_WORKER_IN_FLIGHT_PEAK,
  HDR_WORKER_STRIPES,
  LAT_BUCKETS,
  MAGIC,
  RESETTABLE_SLOTS,
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
  VERSION,
  stripeOffset,
  totalSlots,
  typeOffset,
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
  workerInFlight: number;
  workerInFlightPeak: number;
  latency: LatencyStats;
  /** Raw histogram bucket counts (summed over stripes), for exporters. */
  latencyBuckets: number[];
}

const ONE = 1n;

export class StatsBlock {
  readonly buffer: SharedArrayBuffer;
  readonly params: LayoutParams;
  private readonly slots: BigInt64Array;
  /** First slot of this thread's stripe. */
  private readonly base: number;
  private readonly typeBase: number;
  /** Main thread only: event type -> index in the per-type table. */
  private readonly types = new Map<string, number>();

  private constructor(buffer: SharedArrayBuffer, stripe: number) {
    this.buffer = buffer;
    this.slots = new BigInt64Array(buffer);
    if (this.slots[HDR_MAGIC] !== MAGIC || this.slots[HDR_VERSION] !== VERSION) {
      throw new TypeError("not a statistics buffer of this version of @neurectomy/event-bus");
    }
    this.params = {
      workerStripes: Number(this.slots[HDR_WORKER_STRIPES]),
      typeCapacity: Number(this.slots[HDR_TYPE_CAPACITY]),
    };
    this.base = stripeOffset(stripe);
    this.typeBase = typeOffset(this.params);
  }

  /** A new buffer, seen from the main thread (stripe 0). */
  static create(params: LayoutParams): StatsBlock {
    const buffer = new SharedArrayBuffer(totalSlots(params) * BigInt64Array.BYTES_PER_ELEMENT);
    const slots = new BigInt64Array(buffer);
    slots[HDR_MAGIC] = MAGIC;
    slots[HDR_VERSION] = VERSION;
    slots[HDR_WORKER_STRIPES] = BigInt(params.workerStripes);
    slots[HDR_TYPE_CAPACITY] = BigInt(params.typeCapacity);
    return new StatsBlock(buffer, 0);
  }

  /** Attaches a worker thread to a buffer made by `create`; it claims a stripe of its own. */
  static attachWorker(buffer: SharedArrayBuffer): StatsBlock {
    const slots = new BigInt64Array(buffer);
    if (slots[HDR_MAGIC] !== MAGIC) throw new TypeError("not a statistics buffer of @neurectomy/event-bus");
    const stripes = Number(slots[HDR_WORKER_STRIPES]);
    if (stripes === 0) throw new RangeError("this statistics buffer has no worker stripes");
    const claim = Number(Atomics.add(slots, HDR_NEXT_STRIPE, ONE));
    return new StatsBlock(buffer, 1 + (claim % stripes));
  }

  // ---- writes (hot path) -------------------------------------------------------------------

  /** Counts one emitted event of `type` (main thread). */
  countEmit(type: string): void {
    Atomics.add(this.slots, this.base + S_EMITTED, ONE);
    let index = this.types.get(type);
    if (index === undefined) {
      index = this.types.size < this.params.typeCapacity ? this.types.size : this.params.typeCapacity;
      if (index < this.params.typeCapacity) this.types.set(type, index);
    }
    Atomics.add(this.slots, this.typeBase + index, ONE);
  }

  /** Counts the outcome of deliveries. */
  countDeliveries(delivered: number, filtered: number, failed: number): void {
    if (delivered !== 0) Atomics.add(this.slots, this.base + S_DELIVERED, BigInt(delivered));
    if (filtered !== 0) Atomics.add(this.slots, this.base + S_FILTERED, BigInt(filtered));
    if (failed !== 0) Atomics.add(this.slots, this.base + S_FAILED, BigInt(failed));
  }

  /** Moves the in-flight gauge (deliveries started and not settled). */
  addInFlight(n: number): void {
    Atomics.add(this.slots, this.base + S_IN_FLIGHT, BigInt(n));
  }

  /** Counts one event handled in a worker (worker threads). */
  countWorkerOutcome(ok: boolean): void {
    Atomics.add(this.slots, this.base + (ok ? S_WORKER_COMPLETED : S_WORKER_FAILED), ONE);
  }

  /** Moves the dispatcher's gauge of events in flight to the pool, keeping its peak. */
  addWorkerInFlight(n: number): void {
    const now = Atomics.add(this.slots, HDR_WORKER_IN_FLIGHT, BigInt(n)) + BigInt(n);
    let peak = Atomics.load(this.slots, HDR_WORKER_IN_FLIGHT_PEAK);
    while (now > peak) {
      const seen = Atomics.compareExchange(this.slots, HDR_WORKER_IN_FLIGHT_PEAK, peak, now);
      if (seen === peak) break;
      peak = seen;
    }
  }

  /** Records one handler duration, in nanoseconds. */
  recordLatency(ns: number): void {
    const base = this.base;
    Atomics.add(this.slots, base + S_LAT_COUNT, ONE);
    Atomics.add(this.slots, base + S_LAT_SUM_NS, BigInt(Math.max(0, Math.round(ns))));
    Atomics.add(this.slots, base + S_LAT_BUCKETS + bucketOf(ns), ONE);
  }

  // ---- reads ---------------------------------------------------------------------------------

  private sum(slot: number): number {
    let total = 0n;
    for (let stripe = 0; stripe <= this.params.workerStripes; stripe++) {
      total += Atomics.load(this.slots, stripeOffset(stripe) + slot);
    }
    return Number(total);
  }

  snapshot(): CounterSnapshot {
    const buckets: number[] = [];
    for (let b = 0; b < LAT_BUCKETS; b++) buckets.push(this.sum(S_LAT_BUCKETS + b));
    const samples = this.sum(S_LAT_COUNT);
    const ms = (q: number): number => quantileOf(buckets, q) / 1e6;
    return {
      emitted: this.sum(S_EMITTED),
      delivered: this.sum(S_DELIVERED),
      filteredOut: this.sum(S_FILTERED),
      failed: this.sum(S_FAILED),
      inFlight: this.sum(S_IN_FLIGHT),
      workerCompleted: this.sum(S_WORKER_COMPLETED),
      workerFailed: this.sum(S_WORKER_FAILED),
      workerInFlight: Number(Atomics.load(this.slots, HDR_WORKER_IN_FLIGHT)),
      workerInFlightPeak: Number(Atomics.load(this.slots, HDR_WORKER_IN_FLIGHT_PEAK)),
      latency: {
        samples,
        meanMs: samples === 0 ? 0 : this.sum(S_LAT_SUM_NS) / samples / 1e6,
        p50Ms: ms(0.5),
        p90Ms: ms(0.9),
        p99Ms: ms(0.99),
        p999Ms: ms(0.999),
      },
      latencyBuckets: buckets,
    };
  }

  /** Per-type counts of the interned types (an object whose own keys are exactly the types). */
  eventCounts(): Record<string, number> {
    const entries: [string, number][] = [];
    for (const [type, index] of this.types) {
      entries.push([type, Number(Atomics.load(this.slots, this.typeBase + index))]);
    }
    // Object.fromEntries defines own data properties, so a type named "__proto__" is safe.
    return Object.fromEntries(entries);
  }

  /** Events whose type did not fit in the per-type table. */
  overflowCount(): number {
    return Number(Atomics.load(this.slots, this.typeBase + this.params.typeCapacity));
  }

  /** Zeroes counters and per-type counts in every stripe; gauges (in flight) are kept. */
  reset(): void {
    for (let stripe = 0; stripe <= this.params.workerStripes; stripe++) {
      const base = stripeOffset(stripe);
      for (const slot of RESETTABLE_SLOTS) Atomics.store(this.slots, base + slot, 0n);
    }
    for (let i = 0; i <= this.params.typeCapacity; i++) Atomics.store(this.slots, this.typeBase + i, 0n);
    Atomics.store(this.slots, HDR_WORKER_IN_FLIGHT_PEAK, Atomics.load(this.slots, HDR_WORKER_IN_FLIGHT));
    this.types.clear();
  }
}
