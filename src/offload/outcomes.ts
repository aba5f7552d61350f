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
import type { OffloadHandler } from "./offload.js";
import { BAD_HANDLER, TIMED_OUT, type ThreadEvent, type WorkerError } from "./protocol.js";

/** How one offloaded delivery ended. `countedByWorker`: the worker already counted it in stats. */
export interface OffloadOutcome {
  error: BusError | null;
  countedByWorker: boolean;
}

/** One delivery bound for the pool, from `deliver` until its outcome is resolved. */
export interface PendingItem {
  readonly handler: OffloadHandler;
  readonly subscriptionId: string;
  readonly pattern: string;
  readonly wire: ThreadEvent;
  readonly resolve: (outcome: OffloadOutcome) => void;
  /** Counted in the dispatcher's in-flight bound (false while waiting for room). */
  admitted: boolean;
  /** Times its batch was lost before anything in it started (a pool that cannot start threads). */
  attempts: number;
}

function target(item: PendingItem): string {
  return `offloaded handler "${item.handler.exportName}" of ${item.handler.module} (subscription ${item.subscriptionId}, ${JSON.stringify(item.pattern)}) for event ${item.wire.i}`;
}

function context(item: PendingItem, cause?: unknown): { subscriptionId: string; pattern: string; cause?: unknown } {
  return cause === undefined
    ? { subscriptionId: item.subscriptionId, pattern: item.pattern }
    : { subscriptionId: item.subscriptionId, pattern: item.pattern, cause };
}

function rebuild(err: WorkerError): Error {
  const error = new Error(err.message);
  error.name = err.name;
  if (err.stack !== undefined) error.stack = err.stack;
  return error;
}

/** The error of an item the worker finished with a failure it reported. */
export function workerFailure(item: PendingItem, outcome: number, err: WorkerError | null): BusError {
  const detail = err?.message ?? "details lost: the thread died later in the same batch";
  const cause = err === null ? undefined : rebuild(err);
  if (outcome === TIMED_OUT) return new HandlerTimeoutError(`${target(item)} timed out: ${detail}`, context(item, cause));
  if (outcome === BAD_HANDLER) return new InvalidHandlerError(`${target(item)}: ${detail}`, context(item, cause));
  return new HandlerFailedError(`${target(item)} failed: ${detail}`, context(item, cause));
}

export function crashed(item: PendingItem, reason: unknown): BusError {
  // No thread could start because the package is not built: say so, not that a thread died.
  if (reason instanceof WorkerEntryMissingError) return new WorkerEntryMissingError(`${target(item)}: ${reason.message}`, context(item, reason));
  const detail = reason instanceof Error ? reason.message : String(reason);
  return new WorkerCrashedError(`${target(item)}: its worker thread died while running it (${detail})`, context(item, reason));
}

export function timedOut(item: PendingItem): BusError {
  return new HandlerTimeoutError(`${target(item)} ran past its timeout of ${item.handler.timeoutMs} ms and its thread was stopped`, context(item));
}

export function notCloneable(item: PendingItem, reason: unknown): BusError {
  const detail = reason instanceof Error ? reason.message : String(reason);
  return new NotCloneableError(`${target(item)}: the event's data cannot be cloned to a worker thread (${detail})`, context(item, reason));
}

export function closed(item: PendingItem): BusError {
  return new BusClosedError(`${target(item)}: the bus closed before it ran`, context(item));
}

export function isCloneError(err: unknown): boolean {
  return err instanceof Error && err.name === "DataCloneError";
}
