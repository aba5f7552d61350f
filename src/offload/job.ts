/**
 * A job: one offloaded delivery (one event for one handler), from the moment the dispatcher takes
 * it until it settles. `target` is the caller's record of the delivery, handed back when it does.
 */
import type { Event } from "../event.js";
import type { HandlerCost } from "./batching.js";
import type { OffloadHandler } from "./offload.js";

export class Job<T = unknown> {
  /** Counted in the dispatcher's in-flight bound (false while waiting for room). */
  admitted = false;
  /** Times its batch was lost before anything in it started (a pool that cannot keep threads). */
  attempts = 0;
  /** Its handler's expected duration in µs when it was taken (the lane's backlog adds these up). */
  readonly expected: number;

  constructor(
    readonly handler: OffloadHandler,
    /** What the batching policy has learned of this handler's duration. */
    readonly cost: HandlerCost,
    readonly subscriptionId: string,
    readonly pattern: string,
    readonly event: Event,
    readonly target: T,
  ) {
    this.expected = cost.micros;
  }
}
