/**
 * WorkerDispatcher: runs offloaded handlers in a Piscina pool.
 */
import { InvalidHandlerError, type BusError } from "../errors.js";
import type { Event } from "../event.js";
import type { StatsBlock } from "../stats/stats-block.js";
import type { OffloadHandler } from "./offload.js";

export interface DispatcherOptions {
  minThreads: number;
  maxThreads: number;
  idleTimeout: number;
  maxQueue: number;
  batchSize: number;
  batchDelayMs: number;
}

/** How one offloaded delivery ended. `countedByWorker`: the worker already counted it in stats. */
export interface OffloadOutcome {
  error: BusError | null;
  countedByWorker: boolean;
}

export class WorkerDispatcher {
  constructor(
    readonly options: DispatcherOptions,
    readonly stats: StatsBlock | null,
  ) {}

  get threads(): number {
    return 0;
  }

  validate(_handler: OffloadHandler): void {
    throw new InvalidHandlerError("worker offload is not available in this build yet");
  }

  deliver(_handler: OffloadHandler, _subscriptionId: string, _pattern: string, _event: Event): Promise<OffloadOutcome> {
    return Promise.reject(new InvalidHandlerError("worker offload is not available in this build yet"));
  }

  async close(): Promise<void> {}
}
