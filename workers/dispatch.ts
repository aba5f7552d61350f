/**
 * The Piscina worker: runs one batch of offloaded deliveries, one item at a time, reporting
 * progress in the batch's SharedArrayBuffer and counting outcomes in the shared stats itself
 * (no stats message crosses per event). Loads `stats/` and `event.ts`, never the bus.
 */
import { workerData } from "node:worker_threads";
import type { Event } from "../src/event.js";
import {
  BAD_HANDLER,
  OK,
  P_CURRENT,
  P_OUTCOMES,
  P_START,
  RUNNING,
  THREW,
  TIMED_OUT,
  type BatchResult,
  type BatchTask,
  type DispatchWorkerData,
  type WorkerError,
  fromThreadEvent,
} from "../src/offload/protocol.js";
import { StatsBlock } from "../src/stats/stats-block.js";

const data = workerData as DispatchWorkerData | undefined;
const stats = data?.stats ? StatsBlock.attachWorker(data.stats) : null;

type HandlerFn = (event: Event) => unknown;
const handlers = new Map<string, HandlerFn>();

class BadHandler extends Error {}
class TimedOut extends Error {}

async function resolveHandler(module: string, exportName: string): Promise<HandlerFn> {
  const key = `${module}#${exportName}`;
  const cached = handlers.get(key);
  if (cached !== undefined) return cached;
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(module)) as Record<string, unknown>;
  } catch (err) {
    throw new BadHandler(`cannot load offload module ${module}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const fn = namespace[exportName];
  if (typeof fn !== "function") {
    throw new BadHandler(`offload module ${module} has no function export "${exportName}" (found ${typeof fn})`);
  }
  handlers.set(key, fn as HandlerFn);
  return fn as HandlerFn;
}

function withTimeout(promise: PromiseLike<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimedOut(`offloaded handler ran past its timeout of ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

function flatten(err: unknown): WorkerError {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: "Error", message: String(err), stack: undefined };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") && typeof (value as PromiseLike<unknown>).then === "function";
}

export default async function runBatch(task: BatchTask): Promise<BatchResult> {
  const progress = new Int32Array(task.progress);
  let errors: (WorkerError | null)[] | null = null;
  const count = task.events.length;
  for (let i = 0; i < count; i++) {
    const target = task.handlers[task.handler[i]!]!;
    const timeout = task.timeouts[i]!;
    let outcome = OK;
    let error: WorkerError | null = null;
    let started = performance.now();
    // RUNNING before the module loads: a module that kills the thread while loading fails this
    // item (WORKER_CRASHED) instead of being sent again and again.
    Atomics.store(progress, P_START, Date.now() - task.base);
    Atomics.store(progress, P_CURRENT, i);
    Atomics.store(progress, P_OUTCOMES + i, RUNNING);
    try {
      const fn = await resolveHandler(target.module, target.exportName);
      const event = fromThreadEvent(task.events[i]!);
      // The timeout counts from the handler's start, not the module's first load.
      Atomics.store(progress, P_START, Date.now() - task.base);
      started = performance.now();
      const returned = fn(event);
      if (isThenable(returned)) await (timeout > 0 ? withTimeout(returned, timeout) : returned);
    } catch (err) {
      outcome = err instanceof TimedOut ? TIMED_OUT : err instanceof BadHandler ? BAD_HANDLER : THREW;
      error = flatten(err);
    }
    if (stats !== null) {
      stats.recordLatency((performance.now() - started) * 1e6);
      stats.countDeliveries(outcome === OK ? 1 : 0, 0, outcome === OK ? 0 : 1);
      stats.countWorkerOutcome(outcome === OK);
    }
    Atomics.store(progress, P_OUTCOMES + i, outcome);
    if (error !== null) (errors ??= new Array<WorkerError | null>(count).fill(null))[i] = error;
  }
  return { errors };
}
