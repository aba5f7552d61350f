/**
 * StatsBlock: one thread's view of the shared statistics buffer (layout.ts draws it).
 * Writes go to this thread's own stripe; reads sum every stripe.
 *
 * The main thread batches its counter writes. An `Atomics.add` on a BigInt64Array costs a BigInt
 * conversion and allocation per call (~40-60 ns here, several per emit): more than the dispatch
 * it counts. So the main thread's block keeps its increments in plain numbers and publishes them
 * to its stripe with Atomics (`flush`): before every read through this block, after every
 * FLUSH_EVERY events, and FLUSH_DELAY_MS after the first count left unpublished (one unref'd
 * timer per period, not per event or per event-loop turn). Another thread reading the buffer
 * therefore sees the main thread's counts at most FLUSH_DELAY_MS late; the buffer is still only
 * ever written with Atomics. Gauges (in flight) are not batched: they must be exact when read. Worker blocks
 * write through at once: a thread may be terminated before it could flush.
 */
import { bucketOf } from "./histogram.js";
import { readSnapshot, type CounterSnapshot } from "./snapshot.js";
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
  S_FOLLOW_UPS,
  S_FOLLOW_UPS_DROPPED,
  VERSION,
  stripeOffset,
  totalSlots,
  typeOffset,
  type LayoutParams,
} from "./layout.js";

export type { CounterSnapshot, LatencyStats } from "./snapshot.js";

const ONE = 1n;
/** The main thread publishes its batched counts at least this often (in events). */
const FLUSH_EVERY = 1024;
/** ... and at most this long after a count was made (milliseconds). */
const FLUSH_DELAY_MS = 20;

export class StatsBlock {
  readonly buffer: SharedArrayBuffer;
  readonly params: LayoutParams;
  private readonly slots: BigInt64Array;
  /** First slot of this thread's stripe. */
  private readonly base: number;
  private readonly typeBase: number;
  /** Main thread only: event type -> index in the per-type table. */
  private readonly types = new Map<string, number>();
  /**
   * The last type counted, its index, and its batched count not yet folded into pendingTypes:
   * most emits repeat the previous type, so counting one is a string compare and an increment.
   */
  private lastType: string | null = null;
  private lastIndex = 0;
  private lastCount = 0;
  // ---- batched counts, not yet in the buffer (main thread only) ----
  private readonly batched: boolean;
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
    this.batched = stripe === 0;
    this.pendingTypes = new Float64Array(this.batched ? this.params.typeCapacity + 1 : 0);
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
    // The hot path, kept small enough to inline: the type of the previous emit, no flush due.
    // (lastType is null on worker blocks and after every flush, which sends those to countEmitSlow.)
    if (type === this.lastType && --this.untilFlush > 0) {
      this.lastCount++;
      return;
    }
    this.countEmitSlow(type);
  }

  private countEmitSlow(type: string): void {
    if (!this.batched) {
      Atomics.add(this.slots, this.base + S_EMITTED, ONE);
      Atomics.add(this.slots, this.typeBase + this.indexOf(type), ONE);
      return;
    }
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
    if (this.batched) {
      this.pendingDelivered += delivered;
      this.pendingFiltered += filtered;
      this.pendingFailed += failed;
      if (!this.flushScheduled) this.scheduleFlush();
      return;
    }
    if (delivered !== 0) Atomics.add(this.slots, this.base + S_DELIVERED, BigInt(delivered));
    if (filtered !== 0) Atomics.add(this.slots, this.base + S_FILTERED, BigInt(filtered));
    if (failed !== 0) Atomics.add(this.slots, this.base + S_FAILED, BigInt(failed));
  }

  /** Moves the in-flight gauge (deliveries started and not settled). */
  addInFlight(n: number): void {
    if (this.batched) {
      // Two per offloaded or async delivery: an Atomics add with a new BigInt each cost more than
      // the rest of the delivery's bookkeeping. Published with the other counters.
      this.pendingInFlight += n;
      if (!this.flushScheduled) this.scheduleFlush();
      return;
    }
    Atomics.add(this.slots, this.base + S_IN_FLIGHT, BigInt(n));
  }

  /** Counts one event handled in a worker (worker threads). */
  countWorkerOutcome(ok: boolean): void {
    Atomics.add(this.slots, this.base + (ok ? S_WORKER_COMPLETED : S_WORKER_FAILED), ONE);
  }

  /** Counts follow-up events of offloaded handlers: emitted on the bus, and dropped. */
  countFollowUps(emitted: number, dropped: number): void {
    if (emitted !== 0) Atomics.add(this.slots, this.base + S_FOLLOW_UPS, BigInt(emitted));
    if (dropped !== 0) Atomics.add(this.slots, this.base + S_FOLLOW_UPS_DROPPED, BigInt(dropped));
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
    const bucket = bucketOf(ns);
    const rounded = Math.max(0, Math.round(ns));
    if (this.batched) {
      this.pendingLatCount++;
      this.pendingLatSum += rounded;
      if (this.pendingBuckets[bucket]!++ === 0) this.dirtyBuckets.push(bucket);
      if (!this.flushScheduled) this.scheduleFlush();
      return;
    }
    const base = this.base;
    Atomics.add(this.slots, base + S_LAT_COUNT, ONE);
    Atomics.add(this.slots, base + S_LAT_SUM_NS, BigInt(rounded));
    Atomics.add(this.slots, base + S_LAT_BUCKETS + bucket, ONE);
  }

  /** Publishes the batched counts of this (main-thread) block to its stripe. */
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

  // ---- reads ---------------------------------------------------------------------------------

  snapshot(): CounterSnapshot {
    if (this.batched) this.flush();
    return readSnapshot(this.slots, this.params);
  }

  /** Per-type counts of the interned types (an object whose own keys are exactly the types). */
  eventCounts(): Record<string, number> {
    if (this.batched) this.flush();
    const entries: [string, number][] = [];
    for (const [type, index] of this.types) {
      entries.push([type, Number(Atomics.load(this.slots, this.typeBase + index))]);
    }
    // Object.fromEntries defines own data properties, so a type named "__proto__" is safe.
    return Object.fromEntries(entries);
  }

  /** Events whose type did not fit in the per-type table. */
  overflowCount(): number {
    if (this.batched) this.flush();
    return Number(Atomics.load(this.slots, this.typeBase + this.params.typeCapacity));
  }

  /** Zeroes counters and per-type counts in every stripe; gauges (in flight) are kept. */
  reset(): void {
    this.discardPending();
    this.lastType = null;
    for (let stripe = 0; stripe <= this.params.workerStripes; stripe++) {
      const base = stripeOffset(stripe);
      for (const slot of RESETTABLE_SLOTS) Atomics.store(this.slots, base + slot, 0n);
    }
    for (let i = 0; i <= this.params.typeCapacity; i++) Atomics.store(this.slots, this.typeBase + i, 0n);
    Atomics.store(this.slots, HDR_WORKER_IN_FLIGHT_PEAK, Atomics.load(this.slots, HDR_WORKER_IN_FLIGHT));
    this.types.clear();
  }
}
