/**
 * Batching: which jobs travel together, sized by expected work rather than by count.
 *
 *   job ─► lane ─► batch (one Piscina task, run by one thread, one job after another)
 *          shared lane: every unordered subscription; its batches may run at once on different
 *                       threads
 *          ordered lane: one per `ordered` subscription, one batch in flight at a time (FIFO)
 *
 * Each handler's cost is learned as it runs (the worker writes every job's duration into the
 * batch's progress slots): a moving average per `offload()` descriptor. A batch takes jobs while
 * their expected durations add up to at most BUDGET_US (and `batchSize` at most), so trivial
 * handlers travel by the hundred (the main thread's cost per batch is spread thin) and heavy
 * ones alone or nearly (light jobs do not wait behind several heavy ones on one thread while
 * another thread idles). A burst smaller than a batch is spread over the free threads.
 *
 * Under a backlog the budget grows: a batch may hold up to 1/BACKLOG_SHARE of one thread's share
 * of the lane's expected work. Every thread still has work while the backlog lasts (no free
 * thread waits), and a handler of a millisecond or more no longer makes one round trip to the
 * main thread per job (each costs the main thread as much as a few hundred trivial deliveries,
 * and leaves its thread idle meanwhile). The budget falls back to BUDGET_US as the backlog drains.
 */
import { Fifo } from "../fifo.js";
import type { Job } from "./job.js";
import type { OffloadHandler } from "./offload.js";

/** The expected duration of one batch, in µs: about a millisecond. */
export const BUDGET_US = 1000;
/** What a handler is assumed to cost before it has run: a first batch of about 8 jobs. */
const UNKNOWN_US = BUDGET_US / 8;
/** Weight of the newest duration in the moving average. */
const ALPHA = 0.2;
/**
 * A duration counts for at most this many times the current estimate: one cold start (a first
 * call, a descheduled thread) must not shrink a trivial handler's batches for many rounds, while
 * a heavy handler still reaches its cost within a few jobs.
 */
const MAX_JUMP = 8;
/** Under a backlog, a batch holds at most this fraction of one thread's share of it (see above). */
const BACKLOG_SHARE = 2;

/** What has been learned of one handler's duration. */
export class HandlerCost {
  /** Moving average of its duration per job, in µs. */
  micros = UNKNOWN_US;
  samples = 0;

  learn(micros: number): void {
    this.micros += (Math.min(micros, Math.max(1, this.micros) * MAX_JUMP) - this.micros) * ALPHA;
    this.samples++;
  }
}

/** The learned costs, one per offload() descriptor. */
export class CostModel {
  private readonly costs = new WeakMap<OffloadHandler, HandlerCost>();
  private lastHandler: OffloadHandler | null = null;
  private lastCost: HandlerCost | null = null;

  of(handler: OffloadHandler): HandlerCost {
    if (handler === this.lastHandler) return this.lastCost!;
    let cost = this.costs.get(handler);
    if (cost === undefined) {
      cost = new HandlerCost();
      this.costs.set(handler, cost);
    }
    this.lastHandler = handler;
    this.lastCost = cost;
    return cost;
  }
}

export class Lane<T> {
  private readonly jobs = new Fifo<Job<T>>();
  /** The expected work of `jobs`, in µs: the sum of their estimates when they joined. */
  private queuedMicros = 0;
  /** Batches to send before `jobs`: the rest of a batch whose thread died, split halves. */
  readonly preformed: Job<T>[][] = [];
  /** Batches of this lane in flight. */
  running = 0;

  constructor(
    /** The ordered subscription's id, or null for the shared lane. */
    readonly key: string | null,
  ) {}

  get idle(): boolean {
    return this.running === 0 && this.jobs.length === 0 && this.preformed.length === 0;
  }

  push(job: Job<T>): void {
    this.jobs.push(job);
    this.queuedMicros += job.expected;
  }

  /** Removes every job not yet in a batch (the dispatcher is closing). */
  drainQueued(): Job<T>[] {
    this.queuedMicros = 0;
    return this.jobs.drain();
  }

  /** Whether its next batch is as large as it may be: it should go as soon as a thread is free. */
  full(batchSize: number): boolean {
    const n = this.jobs.length;
    return n >= batchSize || n * this.jobs.peek(n - 1)!.cost.micros >= BUDGET_US;
  }

  /**
   * The next batch to send, or null. `freeThreads` spreads a short queue over the threads that
   * could run it now (the shared lane only: an ordered lane runs one batch at a time anyway);
   * `threads`, the pool's size, shares a backlog.
   */
  next(batchSize: number, freeThreads: number, threads: number): Job<T>[] | null {
    if (this.key !== null && this.running > 0) return null;
    const preformed = this.preformed.shift();
    if (preformed !== undefined) return preformed;
    const queued = this.jobs.length;
    if (queued === 0) return null;
    const limit = this.key !== null ? batchSize : Math.min(batchSize, Math.ceil(queued / Math.max(1, freeThreads)));
    const budget = Math.max(BUDGET_US, this.queuedMicros / (Math.max(1, threads) * BACKLOG_SHARE));
    let n = 1;
    let micros = this.jobs.peek(0)!.cost.micros;
    for (; n < limit && n < queued; n++) {
      micros += this.jobs.peek(n)!.cost.micros;
      if (micros > budget) break;
    }
    const batch = this.jobs.take(n);
    if (this.jobs.length === 0) this.queuedMicros = 0;
    else for (const job of batch) this.queuedMicros -= job.expected;
    return batch;
  }
}

/** The shared lane and the ordered ones, taken from in turn. */
export class Lanes<T> {
  readonly shared = new Lane<T>(null);
  private readonly ordered = new Map<string, Lane<T>>();

  laneFor(job: Job<T>): Lane<T> {
    if (!job.handler.ordered) return this.shared;
    let lane = this.ordered.get(job.subscriptionId);
    if (lane === undefined) {
      lane = new Lane<T>(job.subscriptionId);
      this.ordered.set(job.subscriptionId, lane);
    }
    return lane;
  }

  /**
   * Forgets an ordered lane with nothing left (a subscription's lane lives while it has work). Only
   * that lane: once forgotten, the subscription's next job makes a new one under the same key,
   * which a late release of the old lane must not drop (its jobs were lost, their emits never
   * settled).
   */
  release(lane: Lane<T>): void {
    if (lane.key !== null && lane.idle && this.ordered.get(lane.key) === lane) this.ordered.delete(lane.key);
  }

  /** Every lane, the shared one first. */
  *all(): IterableIterator<Lane<T>> {
    yield this.shared;
    yield* this.ordered.values();
  }

  /** Hands out batches while a thread is free, one per lane per round: no lane starves the others. */
  drain(
    batchSize: number,
    threads: number,
    freeThreads: () => number,
    send: (lane: Lane<T>, jobs: Job<T>[]) => void,
  ): void {
    let sent = true;
    while (sent && freeThreads() > 0) {
      sent = false;
      for (const lane of this.all()) {
        if (freeThreads() === 0) return;
        const jobs = lane.next(batchSize, freeThreads(), threads);
        if (jobs === null) {
          this.release(lane);
          continue;
        }
        send(lane, jobs);
        sent = true;
      }
    }
  }
}
