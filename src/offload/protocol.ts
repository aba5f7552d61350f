/**
 * What crosses the thread boundary between the WorkerDispatcher and the worker entry
 * (workers/dispatch.ts): one Piscina task carries a batch of items, and a small
 * SharedArrayBuffer per batch reports progress as it runs.
 *
 *   progress (Int32Array):
 *   ┌──────────┬──────────┬───────────┬───────────┬─────┬─────────────┐
 *   │ P_CURRENT│ P_START  │ outcome 0 │ outcome 1 │ ... │ outcome n-1 │
 *   └──────────┴──────────┴───────────┴───────────┴─────┴─────────────┘
 *   P_CURRENT: index of the item running now (-1 before the first).
 *   P_START:   when it started, in ms since the batch's `base` (Date.now() is shared by threads;
 *              performance.now() is not: each thread has its own time origin).
 *   outcome i: NOT_STARTED -> RUNNING -> OK | THREW | TIMED_OUT | BAD_HANDLER.
 *
 * The buffer outlives the worker: when a thread dies mid-batch, Piscina rejects the task with a
 * bare error, and these slots tell the main thread which item was running (it fails) and which
 * had not started (they are sent again, so each runs exactly once).
 */
import { Event } from "../event.js";

export const P_CURRENT = 0;
export const P_START = 1;
export const P_OUTCOMES = 2;

export const NOT_STARTED = 0;
export const RUNNING = 1;
export const OK = 2;
export const THREW = 3;
export const TIMED_OUT = 4;
export const BAD_HANDLER = 5;

/**
 * An event as it crosses to a worker: like EventDict, but the timestamp travels as epoch
 * milliseconds (Date#toISOString costs ~1.5 µs here, more than the rest of a dispatch) and the
 * keys are short (they are cloned with every event).
 */
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

/** Rebuilds the event in the worker (it was valid when it left: only the constructor's checks). */
export function fromThreadEvent(e: ThreadEvent): Event {
  return new Event(e.y, e.s, e.d as Record<string, unknown>, new Date(e.t), e.i);
}

/**
 * One batch, in columns: item i is `events[i]` for the handler `handlers[handler[i]]`. Columns of
 * strings and numbers clone at about half the cost of an array of item objects, and each handler's
 * module URL crosses once per batch instead of once per item.
 */
export interface BatchTask {
  handlers: { module: string; exportName: string }[];
  handler: number[];
  events: ThreadEvent[];
  /** Per item, its timeout in ms (0: none). */
  timeouts: number[];
  progress: SharedArrayBuffer;
  /** Date.now() when the batch was made; P_START is relative to it. */
  base: number;
}

/** A handler's error, flattened for the trip back to the main thread. */
export interface WorkerError {
  name: string;
  message: string;
  stack: string | undefined;
}

/** `errors[i]` is null when item i went well, else its error; `errors` is null when all went well. */
export interface BatchResult {
  errors: (WorkerError | null)[] | null;
}

/** The data the pool's threads receive once, at start. */
export interface DispatchWorkerData {
  stats: SharedArrayBuffer | null;
}

export function progressBuffer(items: number): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer((P_OUTCOMES + items) * Int32Array.BYTES_PER_ELEMENT);
  new Int32Array(buffer)[P_CURRENT] = -1;
  return buffer;
}
