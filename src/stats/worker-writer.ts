/**
 * WorkerStatsWriter: a worker thread's writer of the shared statistics (stats-view.ts says how
 * it differs from the main thread's). Every count is written through to this thread's stripe with
 * Atomics at once: the thread may be terminated (a watchdog, a replaced pool) before it could
 * publish a batch, and a worker counts once per event, not several times per emit.
 */
import { bucketOf } from "./histogram.js";
import {
  HDR_NEXT_STRIPE,
  HDR_WORKER_STRIPES,
  S_DELIVERED,
  S_FAILED,
  S_FILTERED,
  S_LAT_BUCKETS,
  S_LAT_COUNT,
  S_LAT_SUM_NS,
  openBuffer,
} from "./layout.js";
import { StatsView } from "./stats-view.js";

export class WorkerStatsWriter extends StatsView {
  /**
   * Attaches a worker thread to a buffer made by the main thread's MainStatsWriter; it claims a
   * stripe of its own (claims wrap around when replaced threads outnumber the stripes, see layout.ts).
   * @throws TypeError when `buffer` is not a statistics buffer; RangeError when it has no worker stripes.
   */
  static attach(buffer: SharedArrayBuffer): WorkerStatsWriter {
    const slots = openBuffer(buffer);
    const stripes = Number(slots[HDR_WORKER_STRIPES]);
    if (stripes === 0) throw new RangeError("this statistics buffer has no worker stripes");
    const claim = Number(Atomics.add(slots, HDR_NEXT_STRIPE, 1n));
    return new WorkerStatsWriter(buffer, slots, 1 + (claim % stripes));
  }

  /** Counts the outcome of deliveries. */
  countDeliveries(delivered: number, filtered: number, failed: number): void {
    if (delivered !== 0) Atomics.add(this.slots, this.base + S_DELIVERED, BigInt(delivered));
    if (filtered !== 0) Atomics.add(this.slots, this.base + S_FILTERED, BigInt(filtered));
    if (failed !== 0) Atomics.add(this.slots, this.base + S_FAILED, BigInt(failed));
  }

  /** Records one handler duration, in nanoseconds. */
  recordLatency(ns: number): void {
    const base = this.base;
    Atomics.add(this.slots, base + S_LAT_COUNT, 1n);
    Atomics.add(this.slots, base + S_LAT_SUM_NS, BigInt(Math.max(0, Math.round(ns))));
    Atomics.add(this.slots, base + S_LAT_BUCKETS + bucketOf(ns), 1n);
  }
}
