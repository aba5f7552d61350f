/**
 * The wire between the WorkerDispatcher and the worker entry (workers/dispatch.ts): one Piscina
 * task carries a batch of jobs in columns, and a SharedArrayBuffer per batch reports progress as
 * it runs.
 *
 *   progress (Int32Array), for a batch of n jobs:
 *   ┌──────────┬─────────┬───────────┬───────────┬─────┬─────────────┬──────────┬─────┬────────────┐
 *   │ P_CURRENT│ P_START │ P_LOADING │ outcome 0 │ ... │ outcome n-1 │ micros 0 │ ... │ micros n-1 │
 *   └──────────┴─────────┴───────────┴───────────┴─────┴─────────────┴──────────┴─────┴────────────┘
 *   P_CURRENT: index of the job running now (-1 before the first; STOPPED once the watchdog has
 *              stopped the batch). The worker moves it from i-1 to i, and the watchdog from i to
 *              STOPPED, each with a compare-and-swap: exactly one of them wins, so a job whose
 *              thread the watchdog terminates is the one that ran too long, never the next one.
 *   P_START:   when it started, in ms since the batch's `base` (Date.now() is shared by threads;
 *              performance.now() is not: each thread has its own time origin).
 *   P_LOADING: 1 while the running job's module is being imported (a fresh thread under load can
 *              take longer than a handler's timeout to do it: that time is not the handler's).
 *   outcome i: NOT_STARTED -> RUNNING -> OK | THREW | TIMED_OUT | BAD_HANDLER | EXITED (the
 *              handler ended its thread with process.exit: marked from the thread's own 'exit'
 *              event, so that a death the main thread hears of late is not taken for a timeout).
 *   micros i:  how long job i's handler ran, in µs (the batching policy learns from it).
 *
 * The buffer outlives the worker: when a thread dies mid-batch, Piscina rejects the task with a
 * bare error, and these slots tell the main thread which job was running (it fails) and which had
 * not started (they are sent again, so each runs exactly once). When every job went well and
 * none emitted a follow-up, the worker answers `null`: the slots are the whole result.
 */
import { Event } from "../event.js";
import type { Job } from "./job.js";
import type { OffloadHandler } from "./offload.js";

export const P_CURRENT = 0;
export const P_START = 1;
export const P_LOADING = 2;
export const P_OUTCOMES = 3;
export const STOPPED = -2;

export const NOT_STARTED = 0;
export const RUNNING = 1;
export const OK = 2;
export const THREW = 3;
export const TIMED_OUT = 4;
export const BAD_HANDLER = 5;
export const EXITED = 6;

/** Where job i's duration is, in a progress buffer made for `capacity` jobs. */
export function microsSlot(capacity: number, i: number): number {
  return P_OUTCOMES + capacity + i;
}

/**
 * One batch, in columns. What crosses is what structured clone copies cheaply: strings, arrays of
 * strings and typed arrays. An event's type and source are named once per batch (most batches
 * carry one of each) and indexed per job; its data goes in one JSON string when JSON carries it
 * exactly (plain objects and arrays of strings, finite numbers, booleans and null). Structured
 * clone walks every object of every event on the main thread (it was a quarter of the main
 * thread's time per offloaded event); copying a string's bytes does not. Any other data (a Date,
 * a Map, a typed array, a BigInt, a SharedArrayBuffer, a cycle...) goes by structured clone in
 * `cloned`, keyed by job, so that every event's data keeps structured-clone semantics end to end.
 *
 * Job i runs `handlers[handler[i]]` on the event made of `ids[i]`, `types[type[i]]`,
 * `sources[source[i]]`, `times[i]` and the data at i.
 */
export interface BatchTask {
  handlers: { module: string; exportName: string }[];
  handler: Uint32Array;
  ids: string[];
  /** Distinct event types of the batch. */
  types: string[];
  type: Uint32Array;
  /** Distinct sources of the batch. */
  sources: string[];
  source: Uint32Array;
  /** Epoch ms (Date#toISOString costs more than the rest of a dispatch). */
  times: Float64Array;
  /** JSON array of the jobs' data, 0 where it goes by structured clone. */
  datas: string;
  /** Data sent by structured clone, by job index; null if none. */
  cloned: Record<number, object> | null;
  /** Per job, its timeout in ms (0: none); null when no job of the batch has one. */
  timeouts: number[] | null;
  progress: SharedArrayBuffer;
  /** Jobs the progress buffer has room for (its micros column starts after that many outcomes). */
  capacity: number;
  /** Date.now() when the batch was made; P_START is relative to it. */
  base: number;
}

/** Distinct values of one batch, numbered in order of appearance. */
class Distinct<K> {
  readonly values: K[] = [];
  private readonly numbers = new Map<K, number>();
  private last: K | undefined = undefined;
  private lastNumber = -1;

  numberOf(value: K): number {
    if (value === this.last) return this.lastNumber;
    let n = this.numbers.get(value);
    if (n === undefined) {
      n = this.values.push(value) - 1;
      this.numbers.set(value, n);
    }
    this.last = value;
    this.lastNumber = n;
    return n;
  }
}

/** A batch of jobs, on the wire (on the main thread). */
export function encodeBatch(
  jobs: readonly Job<unknown>[],
  progress: SharedArrayBuffer,
  capacity: number,
  base: number,
): BatchTask {
  const n = jobs.length;
  const handlers = new Distinct<OffloadHandler>();
  const types = new Distinct<string>();
  const sources = new Distinct<string>();
  const handler = new Uint32Array(n);
  const type = new Uint32Array(n);
  const source = new Uint32Array(n);
  const times = new Float64Array(n);
  // Filled by push, not made with `new Array(n)`: structured clone copies a holey array as a sparse
  // one, key by key, and JSON.stringify walks it more slowly too.
  const ids: string[] = [];
  const datas: (object | 0)[] = [];
  let cloned: Record<number, object> | null = null;
  let timeouts: number[] | null = null;
  for (let i = 0; i < n; i++) {
    const job = jobs[i]!;
    const event = job.event;
    handler[i] = handlers.numberOf(job.handler);
    type[i] = types.numberOf(event.eventType);
    source[i] = sources.numberOf(event.source);
    times[i] = event.timestamp.getTime();
    ids.push(event.eventId);
    if (jsonExact(event.data)) datas.push(event.data);
    else {
      datas.push(0);
      (cloned ??= {})[i] = event.data;
    }
    const timeout = job.handler.timeoutMs;
    if (timeout !== undefined) (timeouts ??= new Array<number>(n).fill(0))[i] = timeout;
  }
  let json = stringified(datas);
  if (json === null) {
    // A getter that answered isJsonExact and throws now: all data goes by structured clone,
    // and a clone that fails is the batch's recovery's to split (recovery.ts).
    for (let i = 0; i < n; i++) {
      const data = datas[i]!;
      if (data === 0) continue;
      (cloned ??= {})[i] = data;
      datas[i] = 0;
    }
    json = JSON.stringify(datas);
  }
  return {
    handlers: handlers.values.map((h) => ({ module: h.module, exportName: h.exportName })),
    handler,
    ids,
    types: types.values,
    type,
    sources: sources.values,
    source,
    times,
    datas: json,
    cloned,
    timeouts,
    progress,
    capacity,
    base,
  };
}

/** Whether JSON carries `data` exactly; if not, it goes by structured clone. */
function jsonExact(data: object): boolean {
  try {
    return isJsonExact(data);
  } catch {
    // A getter that throws: structured clone will meet it too, and the batch's recovery fails
    // that job alone with EBUS_NOT_CLONEABLE.
    return false;
  }
}

function stringified(datas: (object | 0)[]): string | null {
  try {
    return JSON.stringify(datas);
  } catch {
    return null;
  }
}

const MAX_JSON_DEPTH = 32;

/** isJsonExact's objects met below the top (null until one is), and the top one. */
let met: Set<object> | null = null;
let top: unknown = null;

/**
 * Whether JSON carries `value` exactly as structured clone would: plain objects (own enumerable
 * keys) and dense plain arrays of strings, finite numbers other than -0, booleans and null, each
 * object met once (structured clone keeps an object reached twice, or a cycle, as one; JSON would
 * copy it each time, and a graph of shared nodes grows exponentially), no deeper than
 * MAX_JSON_DEPTH. May throw (a getter that throws).
 */
export function isJsonExact(value: unknown): boolean {
  // Kept and put back: a getter of the data may emit, and so call this again.
  const outerMet = met;
  const outerTop = top;
  met = null;
  top = value;
  try {
    return exact(value, 0);
  } finally {
    met = outerMet;
    top = outerTop;
  }
}

function exact(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0);
    case "object": {
      if (value === null) return true;
      if (depth >= MAX_JSON_DEPTH) return false;
      if (depth > 0) {
        // Flat data, the common case, allocates no set.
        if (value === top) return false;
        if (met === null) met = new Set();
        else if (met.has(value)) return false;
        met.add(value);
      }
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype || Object.keys(value).length !== value.length)
          return false;
        for (let i = 0; i < value.length; i++) if (!exact(value[i], depth + 1)) return false;
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) {
        if (Object.hasOwn(value, key) && !exact((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** The jobs' data, back from the wire (in the worker): datas[i] is job i's. */
export function decodeData(task: BatchTask): object[] {
  const datas = JSON.parse(task.datas) as object[];
  if (task.cloned !== null) for (const [i, data] of Object.entries(task.cloned)) datas[Number(i)] = data;
  return datas;
}

/** An event crossing back from a worker (a follow-up sent with ctx.emit). */
export interface ThreadEvent {
  i: string;
  y: string;
  s: string;
  t: number;
  d: object;
}

export function toThreadEvent(event: Event): ThreadEvent {
  return { i: event.eventId, y: event.eventType, s: event.source, t: event.timestamp.getTime(), d: event.data };
}

/** Rebuilds an event that was valid when it crossed (only the constructor's checks run again). */
export function fromThreadEvent(e: ThreadEvent): Event {
  return new Event(e.y, e.s, e.d as Record<string, unknown>, new Date(e.t), e.i);
}

/** Job i's event, rebuilt in the worker. */
export function eventAt(task: BatchTask, datas: object[], i: number): Event {
  return new Event(
    task.types[task.type[i]!]!,
    task.sources[task.source[i]!]!,
    datas[i] as Record<string, unknown>,
    new Date(task.times[i]!),
    task.ids[i]!,
  );
}

/**
 * What a handler threw, for the trip back to the main thread. An Error travels as its name,
 * message and stack plus its other own properties that can be cloned (`code`, `errno`...), and is
 * rebuilt there; anything else (a string, a plain object) travels as itself when it can be cloned
 * (`thrown`), so that `cause` is what was thrown, as in-process.
 */
export interface WorkerError {
  name: string;
  message: string;
  stack: string | undefined;
  /** An Error's other own enumerable properties that structured clone carries; null if none. */
  props: Record<string, unknown> | null;
  /** The thrown value itself when it is not an Error and can be cloned; else null. */
  thrown: { value: unknown } | null;
}

/**
 * What a batch answers when something is worth more than its progress slots: `errors[i]` is job
 * i's error (null if it went well), `followUps[i]` the events its handler emitted (null: none).
 * Either column is null when it would hold only nulls. `strays`: errors thrown on the thread
 * outside any handler call since its last answer (a timer or a promise a handler left behind),
 * null if none.
 */
export interface BatchReport {
  errors: (WorkerError | null)[] | null;
  followUps: (ThreadEvent[] | null)[] | null;
  strays: WorkerError[] | null;
}

export type BatchResult = BatchReport | null;

/** The data the pool's threads receive once, at start. */
export interface DispatchWorkerData {
  stats: SharedArrayBuffer | null;
}

/**
 * Progress buffers for batches of up to `capacity` jobs, reused: a buffer goes back only from a
 * batch that completed (its thread wrote its last slot), never from one whose thread was lost.
 */
export class ProgressBuffers {
  private readonly free: SharedArrayBuffer[] = [];
  constructor(readonly capacity: number) {}

  take(): SharedArrayBuffer {
    const buffer =
      this.free.pop() ?? new SharedArrayBuffer((P_OUTCOMES + 2 * this.capacity) * Int32Array.BYTES_PER_ELEMENT);
    const slots = new Int32Array(buffer);
    slots.fill(NOT_STARTED);
    slots[P_CURRENT] = -1;
    return buffer;
  }

  give(buffer: SharedArrayBuffer): void {
    if (this.free.length < 16) this.free.push(buffer);
  }
}
