/**
 * The two load loops of `neurobus bench --handler`. Each emits events 0..n-1 through `emit` and
 * records every event's latency until its EmitResult (all handlers done).
 *
 * - Closed loop: a window of emits in flight, then a turn of the event loop (setImmediate), then
 *   the next window. Without the turn a synchronous inline handler would never let a timer run, and
 *   the event-loop delay could not be sampled; the window lets offloaded batches fill every thread.
 *   Latency counts from each emit call.
 * - Open loop: event i is due at t0 + i / rate whatever happened to the others. Each turn emits
 *   every event already due; latency counts from the due time, so a stalled event loop shows up in
 *   the latency of every event that fell due during the stall (no coordinated omission, as in wrk2).
 */
import type { EmitResult } from "../../src/index.js";
import { within } from "../../src/deadline.js";

/**
 * A run that cannot finish: the handler left events unsettled past --timeout. `neurobus bench`
 * prints the message (no stack) and exits 1.
 */
export class BenchRunError extends Error {
  readonly code = "ERR_BENCH_RUN";

  constructor(message: string) {
    super(message);
    this.name = "BenchRunError";
  }
}

/**
 * Waits for `work`; a BenchRunError when it has not settled after `ms`. One timer per window, not
 * per event, so that the guard costs the measured path nothing.
 */
export async function settleWithin(work: Promise<unknown>, ms: number, pending: () => number): Promise<void> {
  if (!(await within(work, ms))) {
    const n = pending();
    throw new BenchRunError(
      `${n} event${n === 1 ? "" : "s"} still unsettled after ${ms} ms (--timeout): the handler never returned or resolved; fix it, or raise --timeout`,
    );
  }
  await work; // settled by now: its error, if it failed, goes on
}

export type EmitFn = (i: number) => Promise<EmitResult>;

export interface RoundOutcome {
  /** Events sent (fewer than asked when the deadline came first). */
  events: number;
  elapsedMs: number;
  /** Milliseconds, one per event sent. */
  latencies: Float64Array;
  failed: number;
  firstError: string | null;
}

export interface LoopLimits {
  events: number;
  /** performance.now() after which no more events are sent (the first is sent whatever the time). */
  deadline: number;
  /** Called after each window or turn with the events sent so far. */
  onProgress?: (sent: number) => void;
  /** Milliseconds a window (open loop: the events still out at the end) may take to settle. */
  timeoutMs: number;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

class Recorder {
  readonly latencies: Float64Array;
  /** Events whose emit has settled. */
  completed = 0;
  failed = 0;
  firstError: string | null = null;

  constructor(events: number) {
    this.latencies = new Float64Array(events);
  }

  /** Records event i as done now, counted from `from` (a performance.now() value). */
  done(i: number, from: number, result: EmitResult): void {
    this.latencies[i] = performance.now() - from;
    this.completed++;
    if (result.failed > 0) {
      this.failed++;
      this.firstError ??= result.errors[0]?.message ?? "handler failed";
    }
  }

  outcome(events: number, elapsedMs: number): RoundOutcome {
    return {
      events,
      elapsedMs,
      latencies: this.latencies.subarray(0, events),
      failed: this.failed,
      firstError: this.firstError,
    };
  }
}

export async function closedLoop(emit: EmitFn, limits: LoopLimits & { window: number }): Promise<RoundOutcome> {
  const recorder = new Recorder(limits.events);
  const start = performance.now();
  let sent = 0;
  while (sent < limits.events && (sent === 0 || performance.now() < limits.deadline)) {
    const n = Math.min(limits.window, limits.events - sent);
    const window: Promise<void>[] = new Array<Promise<void>>(n);
    for (let k = 0; k < n; k++) {
      const i = sent + k;
      const from = performance.now();
      window[k] = emit(i).then((result) => recorder.done(i, from, result));
    }
    sent += n;
    await settleWithin(Promise.all(window), limits.timeoutMs, () => sent - recorder.completed);
    await nextTurn();
    limits.onProgress?.(sent);
  }
  return recorder.outcome(sent, performance.now() - start);
}

export async function openLoop(emit: EmitFn, limits: LoopLimits & { rate: number }): Promise<RoundOutcome> {
  const recorder = new Recorder(limits.events);
  const interval = 1000 / limits.rate;
  const t0 = performance.now();
  const pending: Promise<void>[] = [];
  let next = 0;
  while (next < limits.events) {
    const now = performance.now();
    if (now >= limits.deadline && next > 0) break;
    const due = Math.min(limits.events, Math.floor((now - t0) / interval) + 1);
    for (; next < due; next++) {
      const i = next;
      pending.push(emit(i).then((result) => recorder.done(i, t0 + i * interval, result)));
    }
    limits.onProgress?.(next);
    // Sleep when the next event is a while off, so that pacing does not keep the main thread busy
    // (that would inflate its measured cost); close to the due time, turn the loop instead.
    // Never past the deadline: at a low rate the next event may be due long after it.
    const wait = Math.min(t0 + next * interval, limits.deadline) - performance.now();
    await (wait > 2 ? sleep(wait - 1) : nextTurn());
  }
  await settleWithin(Promise.all(pending), limits.timeoutMs, () => next - recorder.completed);
  return recorder.outcome(next, performance.now() - t0);
}
