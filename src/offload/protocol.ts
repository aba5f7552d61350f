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
 * One batch. Its jobs travel in columns (BatchColumns), encoded as one JSON string: a string
 * crosses threads as a copy of its bytes, where structured clone walks every object of every
 * event on the main thread (it was a quarter of the main thread's time per offloaded event). Data
 * that JSON carries exactly (plain objects and arrays of strings, finite numbers, booleans and
 * null) goes in the string; any other data (a Date, a Map, a typed array, a BigInt, a
 * SharedArrayBuffer, a cycle...) goes by structured clone in `cloned`, keyed by job, so that every
 * event's data keeps structured-clone semantics end to end.
 */
export interface BatchTask {
  handlers: { module: string; exportName: string }[];
  /** JSON of the BatchColumns. */
  columns: string;
  /** Data sent by structured clone, by job index (its `datas` entry in the JSON is 0); null if none. */
  cloned: Record<number, object> | null;
  /** Per job, its timeout in ms (0: none); null when no job of the batch has one. */
  timeouts: number[] | null;
  progress: SharedArrayBuffer;
  /** Jobs the progress buffer has room for (its micros column starts after that many outcomes). */
  capacity: number;
  /** Date.now() when the batch was made; P_START is relative to it. */
  base: number;
}

/** Job i runs `handlers[handler[i]]` on the event made of `ids[i]`, `types[i]`, ... */
export interface BatchColumns {
  handler: number[];
  ids: string[];
  types: string[];
  sources: string[];
  /** Epoch ms (Date#toISOString costs more than the rest of a dispatch). */
  times: number[];
  datas: object[];
}

const MAX_JSON_DEPTH = 32;

/**
 * Whether JSON carries `value` exactly as structured clone would: plain objects (own enumerable
 * keys) and dense plain arrays of strings, finite numbers other than -0, booleans and null, no
 * deeper than MAX_JSON_DEPTH (which also stops at a cycle). May throw (a getter that throws).
 */
export function isJsonExact(value: unknown, depth = 0): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0);
    case "object": {
      if (value === null) return true;
      if (depth >= MAX_JSON_DEPTH) return false;
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype || Object.keys(value).length !== value.length) return false;
        for (let i = 0; i < value.length; i++) if (!isJsonExact(value[i], depth + 1)) return false;
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) {
        if (Object.hasOwn(value, key) && !isJsonExact((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** The columns of a batch, back from the wire (in the worker). */
export function decodeColumns(task: BatchTask): BatchColumns {
  const columns = JSON.parse(task.columns) as BatchColumns;
  if (task.cloned !== null) for (const [i, data] of Object.entries(task.cloned)) columns.datas[Number(i)] = data;
  return columns;
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

/** Job i of a batch, rebuilt in the worker. */
export function eventAt(columns: BatchColumns, i: number): Event {
  return new Event(columns.types[i]!, columns.sources[i]!, columns.datas[i] as Record<string, unknown>, new Date(columns.times[i]!), columns.ids[i]!);
}

/** A handler's error, flattened for the trip back to the main thread. */
export interface WorkerError {
  name: string;
  message: string;
  stack: string | undefined;
}

/**
 * What a batch answers when something is worth more than its progress slots: `errors[i]` is job
 * i's error (null if it went well), `followUps[i]` the events its handler emitted (null: none).
 * Either column is null when it would hold only nulls.
 */
export interface BatchReport {
  errors: (WorkerError | null)[] | null;
  followUps: (ThreadEvent[] | null)[] | null;
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
    const buffer = this.free.pop() ?? new SharedArrayBuffer((P_OUTCOMES + 2 * this.capacity) * Int32Array.BYTES_PER_ELEMENT);
    const slots = new Int32Array(buffer);
    slots.fill(NOT_STARTED);
    slots[P_CURRENT] = -1;
    return buffer;
  }

  give(buffer: SharedArrayBuffer): void {
    if (this.free.length < 16) this.free.push(buffer);
  }
}
