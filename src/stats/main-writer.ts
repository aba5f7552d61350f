/**
 * MainStatsWriter: the main thread's writer of the shared statistics (stats-view.ts says how it
 * differs from a worker thread's), on the path of every emit.
 *
 * It batches its counter writes. An `Atomics.add` on a BigInt64Array costs a BigInt conversion and
 * allocation per call, several per emit: more than the dispatch it counts (the `stats` bench scenario). So
 * this writer keeps its increments in plain numbers and publishes them to its stripe with Atomics
 * (`flush`): before every read through it, after every FLUSH_EVERY events, and FLUSH_DELAY_MS after
 * the first count left unpublished (one unref'd timer per period, not per event or per event-loop
 * turn). Another thread reading the buffer therefore sees the main thread's counts at most
 * FLUSH_DELAY_MS late; the buffer is still only ever written with Atomics.
 */
import { bucketOf } from "./histogram.js";
import type { CounterSnapshot } from "./snapshot.js";
import {
  HDR_WORKER_IN_FLIGHT,
  HDR_WORKER_IN_FLIGHT_PEAK,
  LAT_BUCKETS,
  RESETTABLE_SLOTS,
  S_DELIVERED,
  S_EMITTED,
  S_FAILED,
  S_FILTERED,
  S_IN_FLIGHT,
  S_LAT_BUCKETS,
  S_LAT_COUNT,
  S_LAT_SUM_NS,
  createBuffer,
  openBuffer,
  stripeOffset,
  typeOffset,
  type LayoutParams,
} from "./layout.js";
import { StatsView } from "./stats-view.js";

/** The main thread publishes its batched counts at least this often (in events). */
const FLUSH_EVERY = 1024;
/** ... and at most this long after a count was made (milliseconds). */
const FLUSH_DELAY_MS = 20;

export class MainStatsWriter extends StatsView {
  private readonly typeBase: number;
  /** Event type -> index in the per-type table (events are emitted on the main thread only). */
  private readonly types = new Map<string, number>();
  /**
   * The last type counted, its index, and its batched count not yet folded into pendingTypes:
   * most emits repeat the previous type, so counting one is a string compare and an increment.
   */
  private lastType: string | null = null;
  private lastIndex = 0;
  private lastCount = 0;
  // ---- batched counts, not yet in the buffer ----
  /** Emits left before a flush; FLUSH_EVERY minus it is the number of emits not yet published. */
  private untilFlush = FLUSH_EVERY;
  private pendingDelivered = 0;
  private pendingFiltered = 0;
  private pendingFailed = 0;
  /** Change of the in-flight gauge not yet published (a gauge: reset() keeps it). */
  private pendingInFlight = 0;
  private pendingLatCount = 0;
  private pendingLatSum = 0;
  /** Per type index (the last one is the overflow slot). */
  private readonly pendingTypes: Float64Array;
  private readonly dirtyTypes: number[] = [];
  private readonly pendingBuckets = new Float64Array(LAT_BUCKETS);
  private readonly dirtyBuckets: number[] = [];
  private flushScheduled = false;
  private readonly flushSoon = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  private constructor(buffer: SharedArrayBuffer) {
    super(buffer, openBuffer(buffer), 0);
    this.typeBase = typeOffset(this.params);
    this.pendingTypes = new Float64Array(this.params.typeCapacity + 1);
  }

  /** A new buffer, seen from the main thread (stripe 0); worker threads join with WorkerStatsWriter.attach. */
  static create(params: LayoutParams): MainStatsWriter {
    return new MainStatsWriter(createBuffer(params));
  }

  // ---- writes (hot path) -------------------------------------------------------------------

  /** Counts one emitted event of `type`. */
  countEmit(type: string): void {
    // The hot path, kept small enough to inline: the type of the previous emit, no flush due.
    // (lastType is null after every flush, which sends the next emit to countEmitSlow.)
    if (type === this.lastType && --this.untilFlush > 0) {
      this.lastCount++;
      return;
    }
    this.countEmitSlow(type);
  }

  private countEmitSlow(type: string): void {
    if (type !== this.lastType) {
      this.switchType(type);
      this.untilFlush--; // countEmit's test stopped before counting it down
    }
    this.lastCount++;
    if (this.untilFlush <= 0) this.flush();
    else if (!this.flushScheduled) this.scheduleFlush();
  }

  /** The per-type slot of `type`, interning it while the table has room. */
  private indexOf(type: string): number {
    const known = this.types.get(type);
    if (known !== undefined) return known;
    const capacity = this.params.typeCapacity;
    const index = this.types.size < capacity ? this.types.size : capacity;
    if (index < capacity) this.types.set(type, index);
    return index;
  }

  private switchType(type: string): void {
    this.foldLastType();
    this.lastType = type;
    this.lastIndex = this.indexOf(type);
  }

  private foldLastType(): void {
    if (this.lastCount === 0) return;
    const index = this.lastIndex;
    if (this.pendingTypes[index] === 0) this.dirtyTypes.push(index);
    this.pendingTypes[index]! += this.lastCount;
    this.lastCount = 0;
  }

  /** Counts the outcome of deliveries. */
  countDeliveries(delivered: number, filtered: number, failed: number): void {
    this.pendingDelivered += delivered;
    this.pendingFiltered += filtered;
    this.pendingFailed += failed;
    if (!this.flushScheduled) this.scheduleFlush();
  }

  /**
   * Moves the in-flight gauge (deliveries started and not settled). Two per offloaded or async
   * delivery: an Atomics add with a new BigInt each cost more than the rest of the delivery's
   * bookkeeping, so it is published with the other counters.
   */
  addInFlight(n: number): void {
    this.pendingInFlight += n;
    if (!this.flushScheduled) this.scheduleFlush();
  }

  /** Records one handler duration, in nanoseconds. */
  recordLatency(ns: number): void {
    const bucket = bucketOf(ns);
    this.pendingLatCount++;
    this.pendingLatSum += Math.max(0, Math.round(ns));
    if (this.pendingBuckets[bucket]!++ === 0) this.dirtyBuckets.push(bucket);
    if (!this.flushScheduled) this.scheduleFlush();
  }

  /** Moves the dispatcher's gauge of events in flight to the pool, keeping its peak (written through). */
  addWorkerInFlight(n: number): void {
    const now = Atomics.add(this.slots, HDR_WORKER_IN_FLIGHT, BigInt(n)) + BigInt(n);
    let peak = Atomics.load(this.slots, HDR_WORKER_IN_FLIGHT_PEAK);
    while (now > peak) {
      const seen = Atomics.compareExchange(this.slots, HDR_WORKER_IN_FLIGHT_PEAK, peak, now);
      if (seen === peak) break;
      peak = seen;
    }
  }

  /** Publishes the batched counts to this thread's stripe. */
  flush(): void {
    this.foldLastType();
    const slots = this.slots;
    const base = this.base;
    const emitted = FLUSH_EVERY - this.untilFlush;
    if (emitted !== 0) Atomics.add(slots, base + S_EMITTED, BigInt(emitted));
    if (this.pendingDelivered !== 0) Atomics.add(slots, base + S_DELIVERED, BigInt(this.pendingDelivered));
    if (this.pendingFiltered !== 0) Atomics.add(slots, base + S_FILTERED, BigInt(this.pendingFiltered));
    if (this.pendingFailed !== 0) Atomics.add(slots, base + S_FAILED, BigInt(this.pendingFailed));
    if (this.pendingInFlight !== 0) {
      Atomics.add(slots, base + S_IN_FLIGHT, BigInt(this.pendingInFlight));
      this.pendingInFlight = 0;
    }
    if (this.pendingLatCount !== 0) {
      Atomics.add(slots, base + S_LAT_COUNT, BigInt(this.pendingLatCount));
      Atomics.add(slots, base + S_LAT_SUM_NS, BigInt(this.pendingLatSum));
    }
    for (const index of this.dirtyTypes) {
      Atomics.add(slots, this.typeBase + index, BigInt(this.pendingTypes[index]!));
      this.pendingTypes[index] = 0;
    }
    for (const bucket of this.dirtyBuckets) {
      Atomics.add(slots, base + S_LAT_BUCKETS + bucket, BigInt(this.pendingBuckets[bucket]!));
      this.pendingBuckets[bucket] = 0;
    }
    this.discardPending();
  }

  private discardPending(): void {
    // The next emit takes countEmitSlow, which re-arms the flush timer.
    this.lastType = null;
    this.untilFlush = FLUSH_EVERY;
    this.pendingDelivered = this.pendingFiltered = this.pendingFailed = 0;
    this.pendingLatCount = this.pendingLatSum = 0;
    this.lastCount = 0;
    for (const index of this.dirtyTypes) this.pendingTypes[index] = 0;
    for (const bucket of this.dirtyBuckets) this.pendingBuckets[bucket] = 0;
    this.dirtyTypes.length = 0;
    this.dirtyBuckets.length = 0;
  }

  private scheduleFlush(): void {
    this.flushScheduled = true;
    // unref: pending counts alone must not keep the process alive.
    setTimeout(this.flushSoon, FLUSH_DELAY_MS).unref();
  }

  // ---- reads: each publishes the batched counts first -----------------------------------------

  override snapshot(): CounterSnapshot {
    this.flush();
    return super.snapshot();
  }

  /** Per-type counts of the interned types (an object whose own keys are exactly the types). */
  eventCounts(): Record<string, number> {
    this.flush();
    const entries: [string, number][] = [];
    for (const [type, index] of this.types) {
      entries.push([type, Number(Atomics.load(this.slots, this.typeBase + index))]);
    }
    // Object.fromEntries defines own data properties, so a type named "__proto__" is safe.
    return Object.fromEntries(entries);
  }

  /** Events whose type did not fit in the per-type table. */
  overflowCount(): number {
    this.flush();
    return Number(Atomics.load(this.slots, this.typeBase + this.params.typeCapacity));
  }

  /** Zeroes counters and per-type counts in every stripe; gauges (in flight) are kept. */
  reset(): void {
    this.discardPending();
    for (let stripe = 0; stripe <= this.params.workerStripes; stripe++) {
      const base = stripeOffset(stripe);
      for (const slot of RESETTABLE_SLOTS) Atomics.store(this.slots, base + slot, 0n);
    }
    for (let i = 0; i <= this.params.typeCapacity; i++) Atomics.store(this.slots, this.typeBase + i, 0n);
    Atomics.store(this.slots, HDR_WORKER_IN_FLIGHT_PEAK, Atomics.load(this.slots, HDR_WORKER_IN_FLIGHT));
    this.types.clear();
  }
}
