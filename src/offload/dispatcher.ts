/**
 * WorkerDispatcher: runs offloaded handlers in one lazily started Piscina pool.
 *
 *   deliver() ─► waiting for room ─► lane buffer ─► batch (one Piscina task) ─► worker
 *               (past maxQueue)      (shared, or     (≤ batchSize items,
 *                                     one per         its own progress slots)
 *                                     ordered sub)
 *
 * - Backpressure: at most `maxQueue` items are admitted (buffered or running); the rest wait, in
 *   order, and the emits that made them wait with them. Piscina's own queue is left unbounded:
 *   its `maxQueue` rejects instead of waiting.
 * - Batching: a batch leaves when it is full, or, for a partial one, on the next turn of the event
 *   loop when no batch is running (so a lone event is not held), else after `batchDelayMs` or as
 *   soon as a running batch completes, whichever is first.
 * - Faults: see outcomes.ts and watchdog.ts. A batch whose postMessage fails (DataCloneError) is
 *   split in halves and each half sent again, until the uncloneable items stand alone and fail.
 * - Ordering: items of the shared lane may run on different threads at once; an `ordered`
 *   subscription has a lane of its own with one batch in flight at a time (FIFO).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ResourceLimits } from "node:worker_threads";
import { Piscina } from "piscina";
import { WorkerCrashedError, WorkerEntryMissingError, type BusError } from "../errors.js";
import type { Event } from "../event.js";
import type { StatsBlock } from "../stats/stats-block.js";
import type { OffloadHandler } from "./offload.js";
import { closed, crashed, isCloneError, notCloneable, timedOut, workerFailure, type OffloadOutcome, type PendingItem } from "./outcomes.js";
import { NOT_STARTED, OK, P_OUTCOMES, RUNNING, progressBuffer, toThreadEvent, type BatchResult, type BatchTask, type DispatchWorkerData, type ThreadEvent } from "./protocol.js";
import { Watchdog, type Watch } from "./watchdog.js";

export type { OffloadOutcome } from "./outcomes.js";

export interface DispatcherOptions {
  minThreads: number;
  maxThreads: number;
  idleTimeout: number;
  maxQueue: number;
  batchSize: number;
  batchDelayMs: number;
  /** Passed to every thread (Node's ResourceLimits); empty for Node's defaults. */
  resourceLimits: ResourceLimits;
}

/** A batch lost before any item started this many times fails instead of being sent again. */
const MAX_ATTEMPTS = 3;

class Lane {
  readonly kind = "lane";
  buffer: PendingItem[] = [];
  /** Batches to send before the buffer: the rest of a batch whose thread died, split halves. */
  preformed: PendingItem[][] = [];
  running = 0;
  constructor(
    readonly ordered: boolean,
    readonly key: string,
  ) {}
  get idle(): boolean {
    return this.running === 0 && this.buffer.length === 0 && this.preformed.length === 0;
  }
}

/** The compiled worker entry: beside the compiled library, or in dist/ when running from sources. */
function workerEntry(): string {
  for (const candidate of ["../../workers/dispatch.js", "../../dist/workers/dispatch.js"]) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url.href;
  }
  throw new WorkerEntryMissingError("the worker entry dist/workers/dispatch.js was not found, so offloaded handlers cannot run: build the package (npm run build), or reinstall it with its dist/workers");
}

export class WorkerDispatcher {
  private pool: Piscina<BatchTask, BatchResult> | null = null;
  private admitted = 0;
  private readonly waiting: PendingItem[] = [];
  private waitingHead = 0;
  private readonly shared = new Lane(false, "");
  private readonly ordered = new Map<string, Lane>();
  private readonly watchdog = new Watchdog();
  private runningBatches = 0;
  /** Change of the in-flight gauge not yet published (see publishGauge). */
  private gaugeDelta = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushImmediate: NodeJS.Immediate | null = null;
  private closing = false;
  private lastEvent: Event | null = null;
  private lastWire: ThreadEvent | null = null;

  constructor(
    private readonly options: DispatcherOptions,
    private readonly stats: StatsBlock | null,
    private readonly report: (error: BusError) => void,
  ) {}

  /** Threads the pool runs now (0 before it starts). */
  get threads(): number {
    return this.pool?.threads.length ?? 0;
  }

  get started(): boolean {
    return this.pool !== null;
  }

  /** Runs `handler` on `event` in the pool. Never rejects: failures are in the outcome. */
  deliver(handler: OffloadHandler, subscriptionId: string, pattern: string, event: Event): Promise<OffloadOutcome> {
    // Several offloaded subscriptions of one event share its dict (and structured clone sends
    // one copy of an object referenced twice in a message).
    if (event !== this.lastEvent) {
      this.lastEvent = event;
      this.lastWire = toThreadEvent(event);
    }
    const wire = this.lastWire!;
    return new Promise<OffloadOutcome>((resolve) => {
      const item: PendingItem = { handler, subscriptionId, pattern, wire, resolve, admitted: false, attempts: 0 };
      if (this.closing) this.finish(item, closed(item), false);
      else if (this.admitted < this.options.maxQueue && this.waitingHead === this.waiting.length) this.admit(item);
      else this.waiting.push(item);
    });
  }

  /** Fails what was never sent with EBUS_CLOSED, then destroys the pool (what runs fails too). */
  async close(): Promise<void> {
    this.closing = true;
    this.cancelFlush();
    for (let i = this.waitingHead; i < this.waiting.length; i++) this.finish(this.waiting[i]!, closed(this.waiting[i]!), false);
    this.waiting.length = 0;
    this.waitingHead = 0;
    for (const lane of [this.shared, ...this.ordered.values()]) {
      for (const item of [...lane.preformed.flat(), ...lane.buffer]) this.finish(item, closed(item), false);
      lane.preformed = [];
      lane.buffer = [];
    }
    this.watchdog.stop();
    this.publishGauge();
    const pool = this.pool;
    if (pool !== null) await pool.destroy();
  }

  private admit(item: PendingItem): void {
    item.admitted = true;
    this.admitted++;
    this.gaugeDelta++;
    let lane = this.shared;
    if (item.handler.ordered) {
      lane = this.ordered.get(item.subscriptionId) ?? new Lane(true, item.subscriptionId);
      this.ordered.set(item.subscriptionId, lane);
    }
    lane.buffer.push(item);
    if (lane.buffer.length >= this.options.batchSize) this.flush(lane);
    else this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== null || this.flushImmediate !== null) return;
    if (this.runningBatches === 0) this.flushImmediate = setImmediate(() => this.flushAll());
    else this.flushTimer = setTimeout(() => this.flushAll(), this.options.batchDelayMs);
  }

  private cancelFlush(): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    if (this.flushImmediate !== null) clearImmediate(this.flushImmediate);
    this.flushTimer = null;
    this.flushImmediate = null;
  }

  private flushAll(): void {
    this.cancelFlush();
    this.flush(this.shared);
    for (const lane of this.ordered.values()) this.flush(lane);
  }

  private flush(lane: Lane): void {
    while (!this.closing && (!lane.ordered || lane.running === 0)) {
      const batch = lane.preformed.shift() ?? lane.buffer.splice(0, this.batchSizeFor(lane));
      if (batch.length === 0) break;
      this.run(lane, batch);
    }
    if (lane.ordered && lane.idle) this.ordered.delete(lane.key);
  }

  /**
   * Up to batchSize; but a partial buffer is spread over the threads that are free, so that a
   * burst smaller than a batch still runs on every core.
   */
  private batchSizeFor(lane: Lane): number {
    if (lane.ordered) return this.options.batchSize;
    const free = Math.max(1, this.options.maxThreads - this.runningBatches);
    return Math.min(this.options.batchSize, Math.max(1, Math.ceil(lane.buffer.length / free)));
  }

  private run(lane: Lane, items: PendingItem[]): void {
    this.publishGauge();
    lane.running++;
    this.runningBatches++;
    const progress = progressBuffer(items.length);
    const base = Date.now();
    const timeouts = items.map((item) => item.handler.timeoutMs ?? 0);
    const watch = timeouts.some((t) => t > 0) ? this.watchdog.watch(progress, base, timeouts) : null;
    const task = batchTask(items, timeouts, progress, base);
    let running: Promise<BatchResult>;
    try {
      running = this.ensurePool().run(task, watch === null ? {} : { signal: watch.controller.signal });
    } catch (err) {
      running = Promise.reject(err);
    }
    running.then(
      (result) => {
        this.afterBatch(lane, watch);
        const errors = result.errors;
        items.forEach((item, i) => {
          const error = errors === null ? null : (errors[i] ?? null);
          this.finish(item, error === null ? null : workerFailure(item, Atomics.load(new Int32Array(progress), P_OUTCOMES + i), error), true);
        });
        this.flushAfterBatch(lane);
      },
      (err: unknown) => {
        this.afterBatch(lane, watch);
        this.recover(lane, items, new Int32Array(progress), err, watch?.timedOut ?? false);
        this.flushAfterBatch(lane);
      },
    );
  }

  private afterBatch(lane: Lane, watch: Watch | null): void {
    lane.running--;
    this.runningBatches--;
    if (watch !== null) this.watchdog.unwatch(watch);
  }

  /**
   * Publishes the in-flight gauge to the shared stats. Items are counted in a plain number as they
   * come and go and published once per batch sent or finished (and before getStats reads it): an
   * Atomics update per item cost more than the rest of its admission.
   */
  publishGauge(): void {
    if (this.gaugeDelta === 0) return;
    this.stats?.addWorkerInFlight(this.gaugeDelta);
    this.gaugeDelta = 0;
  }

  private flushAfterBatch(lane: Lane): void {
    this.publishGauge();
    if (lane !== this.shared) this.flush(lane);
    // A partial batch waiting on the timer goes now: a thread has just become free.
    if (this.shared.buffer.length > 0 || this.shared.preformed.length > 0) this.flushAll();
  }

  /** A batch's task was rejected: the progress slots say what ran; the rest is sent again. */
  private recover(lane: Lane, items: PendingItem[], progress: Int32Array, err: unknown, aborted: boolean): void {
    if (!this.closing && (isCloneError(err) || (nothingStarted(progress, items.length) && cloneFails(items)))) {
      if (items.length === 1) {
        this.failOnMain(items[0]!, notCloneable(items[0]!, err));
      } else {
        const mid = Math.ceil(items.length / 2);
        lane.preformed.unshift(items.slice(0, mid), items.slice(mid));
      }
      return;
    }
    const resend: PendingItem[] = [];
    let anyStarted = false;
    items.forEach((item, i) => {
      const outcome = Atomics.load(progress, P_OUTCOMES + i);
      if (outcome !== NOT_STARTED) anyStarted = true;
      if (outcome === OK) this.finish(item, null, true);
      else if (outcome === RUNNING) this.failOnMain(item, this.closing ? closed(item) : aborted ? timedOut(item) : crashed(item, err));
      else if (outcome !== NOT_STARTED) this.finish(item, workerFailure(item, outcome, null), true);
      else resend.push(item);
    });
    if (resend.length === 0) return;
    if (!anyStarted && !this.closing) {
      // Nothing ran: the pool could not start a thread, or the entry failed to load. (While
      // closing, destroy() rejecting queued batches is expected, not a crash to report.)
      this.report(crashed(resend[0]!, err));
      for (const item of resend) item.attempts++;
    }
    const give = resend.filter((item) => this.closing || item.attempts >= MAX_ATTEMPTS);
    for (const item of give) this.failOnMain(item, this.closing ? closed(item) : crashed(item, err));
    const again = resend.filter((item) => !give.includes(item));
    if (again.length > 0) lane.preformed.unshift(again);
  }

  /** A failure the worker did not count: count it here. */
  private failOnMain(item: PendingItem, error: BusError): void {
    if (error.code !== "EBUS_CLOSED") this.stats?.countWorkerOutcome(false);
    this.finish(item, error, false);
  }

  private finish(item: PendingItem, error: BusError | null, countedByWorker: boolean): void {
    if (item.admitted) {
      item.admitted = false;
      this.admitted--;
      this.gaugeDelta--;
    }
    item.resolve({ error, countedByWorker });
    // Room was made: admit who waits, in order.
    while (!this.closing && this.admitted < this.options.maxQueue && this.waitingHead < this.waiting.length) {
      const next = this.waiting[this.waitingHead++]!;
      if (this.waitingHead === this.waiting.length) {
        this.waiting.length = 0;
        this.waitingHead = 0;
      } else if (this.waitingHead >= 1024 && this.waitingHead * 2 >= this.waiting.length) {
        // Drop the admitted prefix so a long backlog does not keep references alive.
        this.waiting.splice(0, this.waitingHead);
        this.waitingHead = 0;
      }
      this.admit(next);
    }
  }

  private ensurePool(): Piscina<BatchTask, BatchResult> {
    if (this.pool !== null) return this.pool;
    const workerData: DispatchWorkerData = { stats: this.stats?.buffer ?? null };
    const pool = new Piscina<BatchTask, BatchResult>({
      filename: workerEntry(),
      minThreads: this.options.minThreads,
      maxThreads: this.options.maxThreads,
      idleTimeout: this.options.idleTimeout,
      concurrentTasksPerWorker: 1,
      resourceLimits: this.options.resourceLimits,
      workerData,
    });
    // Piscina emits 'error' for a thread that fails with no task on it; unheard, it would throw.
    pool.on("error", (err: unknown) => this.report(new WorkerCrashedError(`a worker thread failed outside any task: ${String(err)}`, { cause: err })));
    this.pool = pool;
    return pool;
  }
}

function nothingStarted(progress: Int32Array, count: number): boolean {
  for (let i = 0; i < count; i++) if (Atomics.load(progress, P_OUTCOMES + i) !== NOT_STARTED) return false;
  return true;
}

/**
 * Whether some item cannot be sent. postMessage throws DataCloneError for a function or a symbol,
 * but a getter in the data that throws makes it throw that getter's own error: cloning here, only
 * on this failure path, tells such a batch from a pool that cannot start a thread.
 */
/** The batch in columns (protocol.ts), each distinct handler named once. */
function batchTask(items: readonly PendingItem[], timeouts: number[], progress: SharedArrayBuffer, base: number): BatchTask {
  const handlers: BatchTask["handlers"] = [];
  const seen: OffloadHandler[] = [];
  const handler: number[] = [];
  const events: ThreadEvent[] = [];
  for (const item of items) {
    let index = seen.indexOf(item.handler);
    if (index < 0) {
      index = seen.push(item.handler) - 1;
      handlers.push({ module: item.handler.module, exportName: item.handler.exportName });
    }
    handler.push(index);
    events.push(item.wire);
  }
  return { handlers, handler, events, timeouts, progress, base };
}

function cloneFails(items: readonly PendingItem[]): boolean {
  return items.some((item) => {
    try {
      structuredClone(item.wire);
      return false;
    } catch {
      return true;
    }
  });
}
