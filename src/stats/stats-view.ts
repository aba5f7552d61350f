/**
 * One thread's view of the shared statistics buffer (layout.ts draws it): what both of its writers
 * share. A thread writes only its own stripe and reads the sum of every stripe.
 *
 * The two writers differ in when a count reaches the buffer:
 * - MainStatsWriter (main-writer.ts), the main thread's: batched in plain numbers, published with
 *   Atomics before every read and at most FLUSH_DELAY_MS late; every emit counts through it.
 * - WorkerStatsWriter (worker-writer.ts), a worker thread's: written through with Atomics at once,
 *   as a thread may be terminated before it could publish anything.
 *
 * The rare counts below are written through by both.
 */
import { readSnapshot, type CounterSnapshot } from "./snapshot.js";
import {
  HDR_TYPE_CAPACITY,
  HDR_WORKER_STRIPES,
  S_FOLLOW_UPS,
  S_FOLLOW_UPS_DROPPED,
  S_WORKER_COMPLETED,
  S_WORKER_FAILED,
  stripeOffset,
  type LayoutParams,
} from "./layout.js";

export abstract class StatsView {
  readonly buffer: SharedArrayBuffer;
  readonly params: LayoutParams;
  protected readonly slots: BigInt64Array;
  /** First slot of this thread's stripe. */
  protected readonly base: number;

  /** @param slots the buffer's slots, checked by `openBuffer` (layout.ts). */
  protected constructor(buffer: SharedArrayBuffer, slots: BigInt64Array, stripe: number) {
    this.buffer = buffer;
    this.slots = slots;
    this.params = {
      workerStripes: Number(slots[HDR_WORKER_STRIPES]),
      typeCapacity: Number(slots[HDR_TYPE_CAPACITY]),
    };
    this.base = stripeOffset(stripe);
  }

  /** Counts one event handled in a worker (the main thread counts those whose thread died). */
  countWorkerOutcome(ok: boolean): void {
    Atomics.add(this.slots, this.base + (ok ? S_WORKER_COMPLETED : S_WORKER_FAILED), 1n);
  }

  /** Counts follow-up events of offloaded handlers: emitted on the bus, and dropped. */
  countFollowUps(emitted: number, dropped: number): void {
    if (emitted !== 0) Atomics.add(this.slots, this.base + S_FOLLOW_UPS, BigInt(emitted));
    if (dropped !== 0) Atomics.add(this.slots, this.base + S_FOLLOW_UPS_DROPPED, BigInt(dropped));
  }

  /** The counters of every stripe, summed. */
  snapshot(): CounterSnapshot {
    return readSnapshot(this.slots, this.params);
  }
}
