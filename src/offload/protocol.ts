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
 * One batch, in columns: job i runs `handlers[handler[i]]` on the event made of `ids[i]`,
 * `types[i]`, ... Columns of strings and numbers clone far cheaper than one object per event, and
 * each handler's module URL crosses once per batch. Several jobs of one event share its data
 * object, and structured clone sends it once.
 */
export interface BatchTask {
  handlers: { module: string; exportName: string }[];
  handler: number[];
  ids: string[];
  types: string[];
  sources: string[];
  /** Epoch ms (Date#toISOString costs more than the rest of a dispatch). */
  times: number[];
  datas: object[];
  /** Per job, its timeout in ms (0: none); null when no job of the batch has one. */
  timeouts: number[] | null;
  progress: SharedArrayBuffer;
  /** Jobs the progress buffer has room for (its micros column starts after that many outcomes). */
  capacity: number;
  /** Date.now() when the batch was made; P_START is relative to it. */
  base: number;
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
export function eventAt(task: BatchTask, i: number): Event {
  return new Event(task.types[i]!, task.sources[i]!, task.datas[i] as Record<string, unknown>, new Date(task.times[i]!), task.ids[i]!);
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
