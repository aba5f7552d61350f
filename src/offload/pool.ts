/**
 * The Piscina pool behind the dispatcher, started lazily, and its liveness.
 *
 * Piscina starts a thread when a task is submitted or when a thread frees up, and otherwise
 * replaces a dead thread only up to `minThreads` (0 by default). Tasks queued inside Piscina when
 * its last thread dies therefore wait forever. The dispatcher avoids that at the root by handing
 * Piscina at most one batch per thread (every settled batch submits the next, which starts the
 * missing thread). This module adds the defence in depth: while batches are outstanding, a check
 * every LIVENESS_TICK_MS replaces a pool that has had no live thread for STALL_MS. Destroying it
 * rejects its batches; the dispatcher then sends again what had not started and fails what was
 * running, as for any thread death (docs/offload.md, "Liveness").
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ResourceLimits } from "node:worker_threads";
import { Piscina } from "piscina";
import { WorkerCrashedError, WorkerEntryMissingError, type BusError } from "../errors.js";
import { P_CURRENT, STOPPED, type BatchResult, type BatchTask, type DispatchWorkerData } from "./protocol.js";
import { asError, textOf } from "../describe-input.js";

const LIVENESS_TICK_MS = 50;
/** How long batches may be outstanding with no live thread before the pool is replaced. */
export const STALL_MS = 250;

export interface PoolOptions {
  minThreads: number;
  maxThreads: number;
  idleTimeout: number;
  /** Passed to every thread (Node's ResourceLimits); empty for Node's defaults. */
  resourceLimits: ResourceLimits;
}

/** The compiled worker entry: beside the compiled library, or in dist/ when running from sources. */
function workerEntry(): string {
  for (const candidate of ["../../workers/entry.cjs", "../../dist/workers/entry.cjs"]) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url.href;
  }
  throw new WorkerEntryMissingError(
    "the worker entry dist/workers/entry.cjs was not found, so offloaded handlers cannot run: build the package (npm run build), or reinstall it with its dist/workers",
  );
}

export class WorkerPool {
  private piscina: Piscina<BatchTask, BatchResult> | null = null;
  /** Bumped when a stalled pool is replaced: batches sent before were lost with it. */
  generation = 0;
  /**
   * Whether the batches lost with the last replaced pool count an attempt: only when no batch had
   * completed since the replacement before, so that a pool that can never keep a thread alive
   * ends in failures instead of a loop, while one that lost its threads once loses no event.
   */
  replacementCounts = false;
  private progressed = true;
  private liveness: NodeJS.Timeout | null = null;
  /** Since when batches have been outstanding with no live thread (0: there is one). */
  private deadSince = 0;
  /** Replaced pools still being destroyed; close() waits for them. */
  private readonly retiring = new Set<Promise<void>>();

  constructor(
    private readonly options: PoolOptions,
    private readonly stats: SharedArrayBuffer | null,
    private readonly report: (error: BusError) => void,
    /** Batches submitted and not yet settled. */
    private readonly outstanding: () => number,
  ) {}

  /** Threads running now (0 before the pool starts). */
  get threads(): number {
    return this.piscina?.threads.length ?? 0;
  }

  /** Runs one batch. Rejects when its thread dies, its signal aborts, or the pool is replaced. */
  run(task: BatchTask, signal: AbortSignal | null): Promise<BatchResult> {
    try {
      const piscina = (this.piscina ??= this.start());
      this.watch();
      return piscina.run(task, signal === null ? {} : { signal });
    } catch (err) {
      // Piscina throws when it cannot make a thread (ERR_WORKER_INIT_FAILED: the process is at its
      // thread limit), after it queued the task: the batch is sent again, so the queued copy must
      // run nothing. Claimed as the watchdog claims a batch, its first job finds it stopped.
      Atomics.compareExchange(new Int32Array(task.progress), P_CURRENT, -1, STOPPED);
      return Promise.reject(asError(err));
    }
  }

  /** A batch completed: the pool is making progress. */
  completed(): void {
    this.progressed = true;
  }

  /** A batch settled; with none outstanding the liveness check stops. */
  settled(): void {
    if (this.outstanding() === 0) this.stopWatching();
  }

  async close(): Promise<void> {
    this.stopWatching();
    const piscina = this.piscina;
    if (piscina !== null) await piscina.destroy();
    await Promise.all(this.retiring);
  }

  private start(): Piscina<BatchTask, BatchResult> {
    const workerData: DispatchWorkerData = { stats: this.stats };
    const piscina = new Piscina<BatchTask, BatchResult>({
      filename: workerEntry(),
      minThreads: this.options.minThreads,
      maxThreads: this.options.maxThreads,
      idleTimeout: this.options.idleTimeout,
      concurrentTasksPerWorker: 1,
      resourceLimits: this.options.resourceLimits,
      workerData,
    });
    // Piscina emits 'error' for a thread that fails with no task on it; unheard, it would throw.
    piscina.on("error", (err: unknown) =>
      this.report(new WorkerCrashedError(`a worker thread failed outside any task: ${textOf(err)}`, { cause: err })),
    );
    return piscina;
  }

  private watch(): void {
    if (this.liveness !== null) return;
    this.deadSince = 0;
    // Not unref'd: while batches are outstanding their emits are pending, and a pool with no
    // thread holds no handle, so the process would exit with those emits unsettled.
    this.liveness = setInterval(() => this.check(), LIVENESS_TICK_MS);
  }

  private stopWatching(): void {
    if (this.liveness !== null) clearInterval(this.liveness);
    this.liveness = null;
  }

  private check(): void {
    const piscina = this.piscina;
    if (piscina === null || this.outstanding() === 0 || piscina.threads.length > 0) {
      this.deadSince = 0;
      return;
    }
    const now = Date.now();
    if (this.deadSince === 0) this.deadSince = now;
    else if (now - this.deadSince >= STALL_MS) this.replace(piscina, now - this.deadSince);
  }

  private replace(piscina: Piscina<BatchTask, BatchResult>, stalledMs: number): void {
    this.generation++;
    this.piscina = null;
    this.deadSince = 0;
    this.replacementCounts = !this.progressed;
    this.progressed = false;
    this.report(
      new WorkerCrashedError(
        `the worker pool had no live thread for ${stalledMs} ms while ${this.outstanding()} batch(es) waited for one: it was replaced, ` +
          "and the events that had not started are sent again",
        {},
      ),
    );
    const destroyed = piscina.destroy().catch(() => undefined);
    this.retiring.add(destroyed);
    void destroyed.then(() => this.retiring.delete(destroyed));
  }
}
