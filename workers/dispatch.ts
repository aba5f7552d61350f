/**
 * The Piscina worker, loaded by entry.cts (which says why): runs one batch of offloaded jobs, one
 * at a time, reporting progress and each job's duration in the batch's SharedArrayBuffer and
 * counting outcomes in the shared stats itself (no stats message crosses per event). Loads
 * `stats/`, `event.ts` and the wire (src/offload/protocol.ts), never the bus.
 */
import { workerData } from "node:worker_threads";
import type { Event } from "../src/event.js";
import {
  BAD_HANDLER,
  EXITED,
  OK,
  P_CURRENT,
  P_LOADING,
  P_OUTCOMES,
  P_START,
  RUNNING,
  THREW,
  TIMED_OUT,
  decodeData,
  eventAt,
  microsSlot,
  type BatchResult,
  type BatchTask,
  type DispatchWorkerData,
  type ThreadEvent,
  type WorkerError,
} from "../src/offload/protocol.js";
import { WorkerStatsWriter } from "../src/stats/worker-writer.js";
import { within } from "../src/deadline.js";
import { messageOf, textOf } from "../src/describe-input.js";
import { isThenable } from "../src/thenable.js";
import type { OffloadContext } from "../src/offload/offload.js";
import { HandlerContext } from "./context.js";

/** The job running now, so that a handler that calls process.exit is marked as such. */
let runningProgress: Int32Array | null = null;
let runningIndex = 0;
process.on("exit", () => {
  if (runningProgress !== null) Atomics.compareExchange(runningProgress, P_OUTCOMES + runningIndex, RUNNING, EXITED);
});

const data = workerData as DispatchWorkerData | undefined;
const stats = data?.stats ? WorkerStatsWriter.attach(data.stats) : null;
const countLate = (): void => stats?.countFollowUps(0, 1);

type HandlerFn = (event: Event, ctx: OffloadContext) => unknown;
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
    throw new BadHandler(`cannot load offload module ${module}: ${messageOf(err)}`);
  }
  const fn = namespace[exportName];
  if (typeof fn !== "function") {
    throw new BadHandler(`offload module ${module} has no function export "${exportName}" (found ${typeof fn})`);
  }
  handlers.set(key, fn as HandlerFn);
  return fn as HandlerFn;
}

function flatten(err: unknown): WorkerError {
  try {
    if (err instanceof Error)
      return {
        name: textOf(err.name),
        message: textOf(err.message),
        stack: err.stack === undefined ? undefined : textOf(err.stack),
        props: cloneableProps(err),
        thrown: null,
      };
  } catch {
    // A getter that throws, or a revoked Proxy: what can be said of it is said below.
  }
  return { name: "Error", message: textOf(err), stack: undefined, props: null, thrown: cloneable(err) };
}

/**
 * `{ value: a copy }` when structured clone carries `value`, else null. The copy travels, not the
 * value: one the handler's code changes before the batch answers must not make the answer fail.
 */
function cloneable(value: unknown): { value: unknown } | null {
  try {
    return { value: structuredClone(value) };
  } catch {
    return null;
  }
}

/** An Error's own enumerable properties other than name, message and stack, those that clone. */
function cloneableProps(err: Error): Record<string, unknown> | null {
  let props: Record<string, unknown> | null = null;
  for (const key of Object.keys(err)) {
    if (key === "name" || key === "message" || key === "stack") continue;
    const value = cloneable((err as unknown as Record<string, unknown>)[key]);
    if (value !== null) (props ??= {})[key] = value.value;
  }
  return props;
}

/**
 * Errors thrown on this thread outside any handler call: a timer or a promise a handler left
 * behind. Uncaught, one would end the thread and fail whichever event ran on it then (another
 * subscription's, as likely as not). Caught here, the thread goes on, and they travel with the
 * thread's next answer, to be reported on the main thread. At most MAX_STRAYS wait at a time.
 */
const MAX_STRAYS = 100;
const strays: WorkerError[] = [];
// A DataCloneError is a stray like any other: it cannot be Piscina's failing to post a batch's
// answer, which is cloneable by construction (follow-ups are copied at ctx.emit, errors and strays
// are flattened to copies or text).
const keepStray = (err: unknown): void => {
  if (strays.length < MAX_STRAYS) strays.push(flatten(err));
};
process.on("uncaughtException", keepStray);
process.on("unhandledRejection", keepStray);

/** The outcome of a job whose handler threw `err` (never throws: a revoked Proxy is THREW). */
function kindOf(err: unknown): number {
  try {
    return err instanceof TimedOut ? TIMED_OUT : err instanceof BadHandler ? BAD_HANDLER : THREW;
  } catch {
    return THREW;
  }
}

export default async function runBatch(task: BatchTask): Promise<BatchResult> {
  const progress = new Int32Array(task.progress);
  const datas = decodeData(task);
  const count = task.ids.length;
  let errors: (WorkerError | null)[] | null = null;
  let followUps: (ThreadEvent[] | null)[] | null = null;
  for (let i = 0; i < count; i++) {
    const target = task.handlers[task.handler[i]!]!;
    const timeout = task.timeouts?.[i] ?? 0;
    let outcome = OK;
    let error: WorkerError | null = null;
    let context: HandlerContext | null = null;
    let started = performance.now();
    Atomics.store(progress, P_START, Date.now() - task.base);
    // The watchdog stopped this batch after the previous job ran too long: its thread is being
    // terminated, and the jobs from here on will be sent again.
    if (Atomics.compareExchange(progress, P_CURRENT, i - 1, i) !== i - 1) break;
    // RUNNING before the module loads: a module that kills the thread while loading fails this
    // job (WORKER_CRASHED) instead of being sent again and again.
    Atomics.store(progress, P_OUTCOMES + i, RUNNING);
    runningProgress = progress;
    runningIndex = i;
    try {
      let fn: HandlerFn;
      Atomics.store(progress, P_LOADING, 1);
      try {
        fn = await resolveHandler(target.module, target.exportName);
      } finally {
        Atomics.store(progress, P_LOADING, 0);
      }
      const event = eventAt(task, datas, i);
      context = new HandlerContext(event, countLate);
      // The timeout counts from the handler's start, not the module's first load.
      Atomics.store(progress, P_START, Date.now() - task.base);
      started = performance.now();
      const returned = fn(event, context);
      if (isThenable(returned)) {
        // One promise, subscribed to twice (within, then await): a thenable's then runs once.
        const settled = Promise.resolve(returned);
        if (timeout > 0 && !(await within(settled, timeout)))
          throw new TimedOut(`offloaded handler ran past its timeout of ${timeout} ms`);
        await settled;
      }
    } catch (err) {
      outcome = kindOf(err);
      error = flatten(err);
    }
    const elapsed = performance.now() - started;
    const sent = context?.seal() ?? null;
    if (sent !== null) {
      if (outcome === OK) (followUps ??= new Array<ThreadEvent[] | null>(count).fill(null))[i] = sent;
      else stats?.countFollowUps(0, sent.length);
    }
    if (stats !== null) {
      stats.recordLatency(elapsed * 1e6);
      stats.countDeliveries(outcome === OK ? 1 : 0, 0, outcome === OK ? 0 : 1);
      stats.countWorkerOutcome(outcome === OK);
    }
    progress[microsSlot(task.capacity, i)] = Math.min(2 ** 31 - 1, Math.round(elapsed * 1000));
    Atomics.store(progress, P_OUTCOMES + i, outcome);
    if (error !== null) (errors ??= new Array<WorkerError | null>(count).fill(null))[i] = error;
  }
  runningProgress = null;
  const stray = strays.length === 0 ? null : strays.splice(0);
  return errors === null && followUps === null && stray === null ? null : { errors, followUps, strays: stray };
}
