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
import type { EventDict } from "../event.js";

export const P_CURRENT = 0;
export const P_START = 1;
export const P_OUTCOMES = 2;

export const NOT_STARTED = 0;
export const RUNNING = 1;
export const OK = 2;
export const THREW = 3;
export const TIMED_OUT = 4;
export const BAD_HANDLER = 5;

export interface BatchItem {
  /** Module file URL. */
  m: string;
  /** Export name. */
  x: string;
  e: EventDict;
  /** Per-event timeout in ms, 0 for none. */
  t: number;
}

export interface BatchTask {
  items: BatchItem[];
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

/** One entry per item: null when it went well, else the error. */
export interface BatchResult {
  errors: (WorkerError | null)[];
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
