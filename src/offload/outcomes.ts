/**
 * The coded errors an offloaded delivery can end with, built on the main thread from what the
 * worker reported (or from what its progress slots say after the thread died).
 */
import {
  BusClosedError,
  HandlerFailedError,
  HandlerTimeoutError,
  InvalidHandlerError,
  NotCloneableError,
  WorkerCrashedError,
  WorkerEntryMissingError,
  type BusError,
} from "../errors.js";
import type { Job } from "./job.js";
import { BAD_HANDLER, TIMED_OUT, type WorkerError } from "./protocol.js";
import { messageOf } from "../describe-input.js";

function target(job: Job): string {
  return `offloaded handler "${job.handler.exportName}" of ${job.handler.module} (subscription ${job.subscriptionId}, ${JSON.stringify(job.pattern)}) for event ${job.event.eventId}`;
}

function context(job: Job, cause?: unknown): { subscriptionId: string; pattern: string; cause?: unknown } {
  return cause === undefined
    ? { subscriptionId: job.subscriptionId, pattern: job.pattern }
    : { subscriptionId: job.subscriptionId, pattern: job.pattern, cause };
}

/** What the handler threw, as near as the trip between threads allows (see WorkerError). */
export function rebuild(err: WorkerError): unknown {
  if (err.thrown !== null) return err.thrown.value;
  const error = new Error(err.message);
  error.name = err.name;
  if (err.stack !== undefined) error.stack = err.stack;
  if (err.props !== null) Object.assign(error, err.props);
  return error;
}

/** An error a handler's code threw on a worker thread outside any call of it (see BatchReport.strays). */
export function stray(err: WorkerError): BusError {
  return new HandlerFailedError(
    `an offloaded handler's code threw outside its call (from a timer or a promise it left behind), on a worker thread: ${err.message}; the thread went on`,
    { cause: rebuild(err) },
  );
}

/**
 * The error of a job the worker finished with a failure it reported; without the report (`err`
 * null), `lost` says why its details are missing.
 */
export function workerFailure(
  job: Job,
  outcome: number,
  err: WorkerError | null,
  lost = "the thread died later in the same batch",
): BusError {
  const detail = err?.message ?? `details lost: ${lost}`;
  const cause = err === null ? undefined : rebuild(err);
  if (outcome === TIMED_OUT) return new HandlerTimeoutError(`${target(job)} timed out: ${detail}`, context(job, cause));
  if (outcome === BAD_HANDLER) return new InvalidHandlerError(`${target(job)}: ${detail}`, context(job, cause));
  return new HandlerFailedError(`${target(job)} failed: ${detail}`, context(job, cause));
}

export function crashed(job: Job, reason: unknown): BusError {
  // No thread could start because the package is not built: say so, not that a thread died.
  if (reason instanceof WorkerEntryMissingError)
    return new WorkerEntryMissingError(`${target(job)}: ${reason.message}`, context(job, reason));
  const detail = messageOf(reason);
  return new WorkerCrashedError(
    `${target(job)}: its worker thread died while running it (${detail})`,
    context(job, reason),
  );
}

/** A job that never started: the pool kept losing its threads before any could run it. */
export function neverRan(job: Job, reason: unknown): BusError {
  const detail = messageOf(reason);
  return new WorkerCrashedError(
    `${target(job)}: no worker thread could run it (${detail}); check workers.resourceLimits and what the handler module does when it loads`,
    context(job, reason),
  );
}

export function timedOut(job: Job): BusError {
  return new HandlerTimeoutError(
    `${target(job)} ran past its timeout of ${job.handler.timeoutMs} ms and its thread was stopped`,
    context(job),
  );
}

export function notCloneable(job: Job, reason: unknown): BusError {
  const detail = messageOf(reason);
  return new NotCloneableError(
    `${target(job)}: the event's data cannot be cloned to a worker thread (${detail})`,
    context(job, reason),
  );
}

export function closed(job: Job): BusError {
  return new BusClosedError(`${target(job)}: the bus closed before it ran`, context(job));
}

export function isCloneError(err: unknown): boolean {
  try {
    return err instanceof Error && err.name === "DataCloneError";
  } catch {
    return false; // a revoked Proxy
  }
}
