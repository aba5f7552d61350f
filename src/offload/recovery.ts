/**
 * Recovery: what becomes of the jobs of a batch whose task was rejected, read from its progress
 * slots (protocol.ts). A job that finished keeps its outcome; the one that was running fails
 * (its thread died, the watchdog stopped it, or its pool was replaced); the ones that had not
 * started go again, so that each job runs exactly once. A batch that could not be cloned to a
 * thread is split in halves, until the uncloneable jobs stand alone and fail.
 */
import { WorkerEntryMissingError, type BusError } from "../errors.js";
import type { Job } from "./job.js";
import { closed, crashed, isCloneError, neverRan, notCloneable, timedOut, workerFailure } from "./outcomes.js";
import { EXITED, NOT_STARTED, OK, P_OUTCOMES, RUNNING } from "./protocol.js";

/** A batch lost before any job started this many times fails instead of being sent again. */
const MAX_ATTEMPTS = 3;

/** Why a batch's task was rejected. */
export type Loss = "died" | "timed-out" | "replaced";

/** A job that ended; `counted`: the worker already counted it in the stats. */
export interface Ending<T> {
  job: Job<T>;
  error: BusError | null;
  counted: boolean;
}

export interface Triage<T> {
  ended: Ending<T>[];
  /** Batches to send again before anything else of their lane, in order. */
  again: Job<T>[][];
  /** To report once for the batch (a pool that could not run it), besides each job's error. */
  report: BusError | null;
}

export interface LossContext {
  closing: boolean;
  /** Whether jobs lost with a replaced pool count an attempt (see WorkerPool.replacementCounts). */
  replacementCounts: boolean;
}

export function triage<T>(
  jobs: Job<T>[],
  progress: Int32Array,
  err: unknown,
  loss: Loss,
  context: LossContext,
): Triage<T> {
  const { closing } = context;
  const ended: Ending<T>[] = [];
  if (
    !closing &&
    loss !== "replaced" &&
    (isCloneError(err) || (nothingStarted(progress, jobs.length) && cloneFails(jobs)))
  ) {
    if (jobs.length === 1)
      return {
        ended: [{ job: jobs[0]!, error: notCloneable(jobs[0]!, err), counted: false }],
        again: [],
        report: null,
      };
    const mid = Math.ceil(jobs.length / 2);
    return { ended, again: [jobs.slice(0, mid), jobs.slice(mid)], report: null };
  }
  // Nothing can ever run: fail every job at once with the cause, rather than try again.
  if (err instanceof WorkerEntryMissingError)
    return { ended: jobs.map((job) => ({ job, error: crashed(job, err), counted: false })), again: [], report: null };
  const resend: Job<T>[] = [];
  let anyStarted = false;
  jobs.forEach((job, i) => {
    const outcome = Atomics.load(progress, P_OUTCOMES + i);
    if (outcome !== NOT_STARTED) anyStarted = true;
    if (outcome === OK) ended.push({ job, error: null, counted: true });
    else if (outcome === EXITED) ended.push({ job, error: closing ? closed(job) : crashed(job, err), counted: false });
    else if (outcome === RUNNING)
      ended.push({
        job,
        error: closing ? closed(job) : loss === "timed-out" ? timedOut(job) : crashed(job, err),
        counted: false,
      });
    else if (outcome !== NOT_STARTED) ended.push({ job, error: workerFailure(job, outcome, null), counted: true });
    else resend.push(job);
  });
  let report: BusError | null = null;
  if (resend.length > 0 && (loss === "replaced" ? context.replacementCounts : !anyStarted && !closing)) {
    // Nothing ran: the pool could not start a thread, or the entry failed to load. (While
    // closing, destroy() rejecting queued batches is expected, not a crash to report; a
    // replaced pool was reported once, when it was replaced.)
    if (loss !== "replaced") report = crashed(resend[0]!, err);
    for (const job of resend) job.attempts++;
  }
  const again: Job<T>[] = [];
  for (const job of resend) {
    if (closing) ended.push({ job, error: closed(job), counted: false });
    else if (job.attempts >= MAX_ATTEMPTS) ended.push({ job, error: neverRan(job, err), counted: false });
    else again.push(job);
  }
  return { ended, again: again.length > 0 ? [again] : [], report };
}

function nothingStarted(progress: Int32Array, count: number): boolean {
  for (let i = 0; i < count; i++) if (Atomics.load(progress, P_OUTCOMES + i) !== NOT_STARTED) return false;
  return true;
}

/**
 * Whether some job cannot be sent. postMessage throws DataCloneError for a function or a symbol,
 * but a getter in the data that throws makes it throw that getter's own error: cloning here, only
 * on this failure path, tells such a batch from a pool that cannot start a thread.
 */
function cloneFails(jobs: readonly Job<unknown>[]): boolean {
  return jobs.some((job) => {
    try {
      structuredClone(job.event.data);
      return false;
    } catch {
      return true;
    }
  });
}
