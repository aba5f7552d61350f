/**
 * The bookkeeping of one emit: how its deliveries ended, and the promise that settles when the
 * last one has. Synchronous handlers settle during dispatch; only asynchronous ones (promises,
 * offloaded handlers) get a PendingDelivery, so an emit whose handlers are all synchronous
 * allocates nothing but its result.
 */
import type { BusError } from "../errors.js";
import type { Subscription } from "./subscription.js";

/**
 * What `emit` resolves with. `matched = delivered + filtered + failed`.
 *
 * @example
 * ```ts
 * const { matched, delivered, failed, errors } = await bus.emit(event);
 * for (const err of errors) console.error(err.code, err.subscriptionId, err.cause);
 * ```
 */
export interface EmitResult {
  eventId: string;
  /** Subscriptions whose pattern matched when the emit started. */
  matched: number;
  /** Handlers that returned (or resolved) normally. */
  delivered: number;
  /** Deliveries a filter turned away, and `once` subscriptions an earlier event had already claimed. */
  filtered: number;
  /** Handlers or filters that threw, rejected, timed out or crashed. */
  failed: number;
  /** One coded BusError per failure, with subscriptionId, pattern and the original error as `cause`. */
  errors: BusError[];
}

export class PendingDelivery {
  done = false;
  /** The emit's delivery that went pending before this one (EmitState.pending lists them). */
  readonly previous: PendingDelivery | null;
  constructor(
    readonly state: EmitState,
    /** null: the bridge, publishing the event to other processes. */
    readonly subscription: Subscription | null,
    /** performance.now() at the start when this delivery is timed, else -1. */
    readonly start: number,
  ) {
    this.previous = state.pending;
    state.pending = this;
  }
}

export class EmitState {
  delivered = 0;
  filtered = 0;
  failed = 0;
  /** Of `delivered` and `failed`: outcomes a worker thread already counted in its stats stripe. */
  workerDelivered = 0;
  workerFailed = 0;
  errors: BusError[] | null = null;
  /** Its asynchronous deliveries, the latest first (linked by `previous`: no array per emit). */
  pending: PendingDelivery | null = null;
  remaining = 0;
  resolve: ((result: EmitResult) => void) | null = null;

  constructor(
    readonly eventId: string,
    public matched: number,
    /** Emits this one is nested in (0 for a top-level emit); follow-ups of its offloaded handlers go one deeper. */
    readonly depth: number,
  ) {}

  fail(error: BusError): void {
    this.failed++;
    (this.errors ??= []).push(error);
  }

  result(): EmitResult {
    return {
      eventId: this.eventId,
      matched: this.matched,
      delivered: this.delivered,
      filtered: this.filtered,
      failed: this.failed,
      errors: this.errors ?? [],
    };
  }
}
