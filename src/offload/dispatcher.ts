/**
 * WorkerDispatcher: runs offloaded handlers in the worker pool, and coordinates the modules that
 * each own one step of the path (docs/architecture.md draws all of it):
 *
 *   submit(job) ─► Admission ─► Lanes ─► send(batch) ─► WorkerPool ─► worker: runBatch
 *                  (maxQueue,   (batching.ts:            (pool.ts:       (workers/dispatch.ts,
 *                   waits in     cost-sized batches,      Piscina,        the wire: protocol.ts)
 *                   order)       ordered lanes)           liveness)
 *
 *   complete(batch) ◄── the task resolves: every job settles from the progress slots, with the
 *                       follow-ups its handler emitted
 *   recover(batch)  ◄── the task rejects (thread death, watchdog, replaced pool): recovery.ts
 *                       says which jobs ended and which go again
 *
 * - At most one batch per thread is handed to Piscina; the rest waits in the lanes (pool.ts says
 *   why: liveness). A batch leaves when a thread is free and its lane is full (by count or by
 *   expected work), or, for a partial one, on the next turn of the event loop when no batch is
 *   running, else after `batchDelayMs` or as soon as a running batch completes.
 * - Faults: outcomes.ts and watchdog.ts; each job settles exactly once, through `settle`.
 */
import type { BusError } from "../errors.js";
import type { Event } from "../event.js";
import type { MainStatsWriter } from "../stats/main-writer.js";
import { Admission } from "./admission.js";
import { CostModel, Lanes, type Lane } from "./batching.js";
import { Job } from "./job.js";
import type { OffloadHandler } from "./offload.js";
import { closed } from "./outcomes.js";
import { WorkerPool, type PoolOptions } from "./pool.js";
import {
  BAD_HANDLER,
  OK,
  P_OUTCOMES,
  THREW,
  TIMED_OUT,
  ProgressBuffers,
  encodeBatch,
  microsSlot,
  type BatchResult,
  type ThreadEvent,
} from "./protocol.js";
import { triage, type Loss } from "./recovery.js";
import { stray, workerFailure } from "./outcomes.js";
import { Watchdog, type Watch } from "./watchdog.js";

export interface DispatcherOptions extends PoolOptions {
  maxQueue: number;
  batchSize: number;
  batchDelayMs: number;
}

/**
 * How a job ended, handed to the dispatcher's owner: `error` null if its handler succeeded;
 * `counted`, the worker already counted it in the stats; `followUps`, what its handler emitted
 * with ctx.emit (only when it succeeded).
 */
export type Settle<T> = (target: T, error: BusError | null, counted: boolean, followUps: ThreadEvent[] | null) => void;

/** One batch in flight. */
interface Batch<T> {
  lane: Lane<T>;
  jobs: Job<T>[];
  progress: SharedArrayBuffer;
  watch: Watch | null;
  generation: number;
}

export class WorkerDispatcher<T> {
  private readonly pool: WorkerPool;
  private readonly admission: Admission<T>;
  private readonly lanes = new Lanes<T>();
  private readonly costs = new CostModel();
  private readonly watchdog = new Watchdog();
  private readonly buffers: ProgressBuffers;
  private running = 0;
  /** Batches handed to the pool and not yet settled. */
  private readonly inFlight = new Set<Batch<T>>();
  /** Change of the in-flight gauge not yet published (see publishGauge). */
  private gaugeDelta = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushImmediate: NodeJS.Immediate | null = null;
  private closing = false;

  constructor(
    private readonly options: DispatcherOptions,
    private readonly stats: MainStatsWriter | null,
    private readonly report: (error: BusError) => void,
    private readonly settle: Settle<T>,
  ) {
    this.pool = new WorkerPool(options, stats?.buffer ?? null, report, () => this.running);
    this.admission = new Admission<T>(options.maxQueue);
    this.buffers = new ProgressBuffers(options.batchSize);
  }

  /** Threads the pool runs now (0 before it starts). */
  get threads(): number {
    return this.pool.threads;
  }

  /** Takes one offloaded delivery; `settle` is called with `target` when it ends. */
  submit(handler: OffloadHandler, subscriptionId: string, pattern: string, event: Event, target: T): void {
    const job = new Job(handler, this.costs.of(handler), subscriptionId, pattern, event, target);
    if (this.closing) this.end(job, closed(job), false, null);
    else if (this.admission.offer(job)) this.enqueue(job);
  }

  /**
   * close({ timeoutMs }) stops waiting: every job of a running batch whose handler has finished
   * (its outcome is in the progress slots, and the worker counted it) ends now with that outcome,
   * instead of failing with EBUS_CLOSED among the jobs that are still running or waiting. Its
   * error's details and its follow-ups come with the batch's answer, which will not be waited for.
   */
  settleFinished(): void {
    // Nothing starts any more: a job ended here must not admit and send one that waits (its emit
    // is about to fail with EBUS_CLOSED, and its handler would run all the same).
    this.closing = true;
    this.cancelFlush();
    for (const batch of [...this.inFlight]) {
      const progress = new Int32Array(batch.progress);
      batch.jobs.forEach((job, i) => {
        const outcome = Atomics.load(progress, P_OUTCOMES + i);
        if (outcome === OK) this.end(job, null, true, null);
        else if (outcome === THREW || outcome === TIMED_OUT || outcome === BAD_HANDLER)
          this.end(job, workerFailure(job, outcome, null, "close() timed out before the batch answered"), true, null);
      });
    }
  }

  /** Fails what was never sent with EBUS_CLOSED, then destroys the pool (what runs fails too). */
  async close(): Promise<void> {
    this.closing = true;
    this.cancelFlush();
    for (const job of this.admission.drainWaiting()) this.end(job, closed(job), false, null);
    for (const lane of this.lanes.all()) {
      for (const job of [...lane.preformed.flat(), ...lane.drainQueued()]) this.end(job, closed(job), false, null);
      lane.preformed.length = 0;
    }
    this.watchdog.stop();
    this.publishGauge();
    await this.pool.close();
  }

  /**
   * Publishes the in-flight gauge to the shared stats. Jobs are counted in a plain number as they
   * come and go and published once per batch sent or finished (and before getStats reads it): an
   * Atomics update per job cost more than the rest of its admission.
   */
  publishGauge(): void {
    if (this.gaugeDelta === 0) return;
    this.stats?.addWorkerInFlight(this.gaugeDelta);
    this.gaugeDelta = 0;
  }

  /** An admitted job joins its lane; a full lane goes at once if a thread is free. */
  private enqueue(job: Job<T>): void {
    this.gaugeDelta++;
    const lane = this.lanes.laneFor(job);
    lane.push(job);
    if (lane.full(this.options.batchSize)) this.flush();
    else this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== null || this.flushImmediate !== null) return;
    if (this.running === 0) this.flushImmediate = setImmediate(() => this.flush());
    else this.flushTimer = setTimeout(() => this.flush(), this.options.batchDelayMs);
  }

  private cancelFlush(): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    if (this.flushImmediate !== null) clearImmediate(this.flushImmediate);
    this.flushTimer = null;
    this.flushImmediate = null;
  }

  /** Sends what waits in the lanes while a thread is free. */
  private flush(): void {
    this.cancelFlush();
    if (this.closing) return;
    this.lanes.drain(this.options.batchSize, this.options.maxThreads, this.freeThreads, this.send);
  }

  private readonly freeThreads = (): number => (this.closing ? 0 : this.options.maxThreads - this.running);

  private readonly send = (lane: Lane<T>, jobs: Job<T>[]): void => {
    lane.running++;
    this.running++;
    this.publishGauge();
    const progress = this.buffers.take();
    const base = Date.now();
    const task = encodeBatch(jobs, progress, this.buffers.capacity, base);
    const watch = task.timeouts === null ? null : this.watchdog.watch(progress, base, task.timeouts);
    const batch: Batch<T> = { lane, jobs, progress, watch, generation: this.pool.generation };
    this.inFlight.add(batch);
    this.pool.run(task, watch?.controller.signal ?? null).then(
      (result) => this.complete(batch, result),
      (err: unknown) => this.recover(batch, err),
    );
  };

  /** The batch's task resolved: every job has its outcome in the progress slots. */
  private complete(batch: Batch<T>, result: BatchResult): void {
    this.afterBatch(batch);
    this.pool.completed();
    // The thread is free: what waits goes before this batch's jobs are settled. A thread left
    // idle while the main thread settles falls asleep, and waking it again is the dearest part
    // of sending a batch (docs/offload.md, "The main thread's cost").
    this.flush();
    if (result?.strays) for (const err of result.strays) this.report(stray(err));
    const progress = new Int32Array(batch.progress);
    const capacity = this.buffers.capacity;
    const jobs = batch.jobs;
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i]!;
      job.cost.learn(progress[microsSlot(capacity, i)]!);
      if (result === null) {
        this.end(job, null, true, null);
        continue;
      }
      const error = result.errors?.[i] ?? null;
      const outcome = Atomics.load(progress, P_OUTCOMES + i);
      this.end(job, outcome === OK ? null : workerFailure(job, outcome, error), true, result.followUps?.[i] ?? null);
    }
    // The thread has written its last slot: the buffer can serve another batch.
    this.buffers.give(batch.progress);
    this.afterSettling(batch.lane);
  }

  /** The batch's task was rejected: recovery.ts says what ended and what goes again. */
  private recover(batch: Batch<T>, err: unknown): void {
    this.afterBatch(batch);
    const loss: Loss =
      batch.generation !== this.pool.generation ? "replaced" : batch.watch?.timedOut === true ? "timed-out" : "died";
    const reason = loss === "replaced" ? new Error("the worker pool had lost all its threads") : err;
    const { ended, again, report } = triage(batch.jobs, new Int32Array(batch.progress), reason, loss, {
      closing: this.closing,
      replacementCounts: this.pool.replacementCounts,
    });
    if (report !== null) this.report(report);
    batch.lane.preformed.unshift(...again);
    for (const { job, error, counted } of ended) {
      // A failure the worker did not count is counted here.
      if (!counted && error !== null && error.code !== "EBUS_CLOSED") this.stats?.countWorkerOutcome(false);
      this.end(job, error, counted, null);
    }
    this.afterSettling(batch.lane);
  }

  private afterBatch(batch: Batch<T>): void {
    this.inFlight.delete(batch);
    batch.lane.running--;
    this.running--;
    if (batch.watch !== null) this.watchdog.unwatch(batch.watch);
    this.pool.settled();
  }

  /** A thread has just become free: what waits (a partial batch on the timer included) goes now. */
  private afterSettling(lane: Lane<T>): void {
    this.publishGauge();
    this.lanes.release(lane);
    this.flush();
  }

  /** A job ends: it leaves admission, makes room for who waits, and is handed back. */
  private end(job: Job<T>, error: BusError | null, counted: boolean, followUps: ThreadEvent[] | null): void {
    if (job.admitted) {
      this.admission.leave(job);
      this.gaugeDelta--;
    }
    this.settle(job.target, error, counted, followUps);
    if (this.closing) return;
    for (let next = this.admission.next(); next !== null; next = this.admission.next()) this.enqueue(next);
  }
}
