/**
 * EmitBooks: the books of every emit (docs/architecture.md: the path of an emit), which the
 * DeliveryRunner (delivery.ts) inherits. A delivery that does not end during dispatch is tracked
 * as a PendingDelivery and settled later; the emit's promise (seal) resolves when its last one has,
 * and the delivery outcomes are counted in the stats then. close() drains the emits still running,
 * and with a timeout fails what is left with EBUS_CLOSED.
 */
import { BusClosedError, type BusError } from "../errors.js";
import type { MainStatsWriter } from "../stats/main-writer.js";
import { PendingDelivery, type EmitResult, type EmitState } from "./emit-state.js";
import type { ErrorReporter, ErrorSource } from "./reporter.js";
import type { Subscription } from "./subscription.js";

/** The start of a delivery that is not timed (handler time is sampled, see DeliveryRunner). */
export const NO_TIMING = -1;
/** The outcome of an asynchronous delivery that a filter turned away. */
export const FILTERED = Symbol("filtered");

// seal() makes one promise per emit that waits: its executor is this one function, not a
// closure per emit.
let captured: ((result: EmitResult) => void) | null = null;
function captureResolve(resolve: (result: EmitResult) => void): void {
  captured = resolve;
}

export class EmitBooks {
  /** Emits with asynchronous deliveries still running (close() waits for them). */
  private readonly active = new Set<EmitState>();
  /** The bridge as a delivery target: the codes printed to stderr for its failures. */
  private readonly bridge: ErrorSource = { warned: null };
  private drained: (() => void) | null = null;
  /** The timers of close({ timeoutMs }) calls, cleared once everything has drained. */
  private cuts: NodeJS.Timeout[] = [];

  constructor(
    protected readonly stats: MainStatsWriter | null,
    protected readonly reporter: ErrorReporter,
  ) {}

  /**
   * Resolves when no emit has deliveries running. With `timeoutMs`, what still runs then fails
   * with EBUS_CLOSED.
   */
  async drain(timeoutMs: number | undefined): Promise<void> {
    // drain() may be called by a handler in the middle of a dispatch (close() does): that emit
    // joins `active` only when its synchronous dispatch returns, so look one microtask later.
    await Promise.resolve();
    if (this.active.size === 0) return;
    const drained = new Promise<void>((resolve) => {
      this.drained = resolve;
    });
    if (timeoutMs !== undefined) this.cutAfter(timeoutMs);
    return drained;
  }

  /**
   * What still runs `ms` from now fails with EBUS_CLOSED (and its emit resolves): close's timeout,
   * also one given to a later close() while an earlier one drains. The earliest deadline wins.
   */
  cutAfter(ms: number): void {
    // Called from a handler in the middle of a dispatch (a second close() there), its emit joins
    // `active` only when the dispatch returns: look one microtask later, as drain() does.
    queueMicrotask(() => {
      if (this.active.size > 0) this.cuts.push(setTimeout(() => this.abandonActive(), ms));
    });
  }

  /** A delivery of `state` that goes on after dispatch; `sub` null: the bridge. */
  protected track(state: EmitState, sub: Subscription | null, start: number): PendingDelivery {
    const pending = new PendingDelivery(state, sub, start);
    state.remaining++;
    this.stats?.addInFlight(1);
    return pending;
  }

  /** Ends an asynchronous delivery: FILTERED, null (delivered) or the error it failed with. */
  protected settle(pending: PendingDelivery, outcome: BusError | null | typeof FILTERED): void {
    if (pending.done) return;
    pending.done = true;
    const state = pending.state;
    this.stats?.addInFlight(-1);
    this.recordTime(pending.start);
    if (outcome === null) state.delivered++;
    else if (outcome === FILTERED) state.filtered++;
    else {
      state.fail(outcome);
      this.reporter.report(outcome, pending.subscription ?? this.bridge);
    }
    if (--state.remaining === 0 && state.resolve !== null) this.finish(state, state.resolve);
  }

  /** After dispatch: resolve now if everything settled synchronously, else when the last does. */
  seal(state: EmitState): Promise<EmitResult> {
    if (state.remaining === 0) {
      this.countOutcomes(state);
      return Promise.resolve(state.result());
    }
    this.active.add(state);
    const promise = new Promise<EmitResult>(captureResolve);
    state.resolve = captured;
    captured = null;
    return promise;
  }

  private finish(state: EmitState, resolve: (result: EmitResult) => void): void {
    this.countOutcomes(state);
    this.active.delete(state);
    resolve(state.result());
    if (this.active.size === 0) {
      for (const timer of this.cuts) clearTimeout(timer);
      this.cuts = [];
      this.drained?.();
    }
  }

  private countOutcomes(state: EmitState): void {
    if (this.stats === null) return;
    // Outcomes a worker counted itself are taken off the delivered and failed counts.
    this.stats.countDeliveries(
      state.delivered - state.workerDelivered,
      state.filtered,
      state.failed - state.workerFailed,
    );
  }

  /** Records the handler time of a delivery that started at `start` (NO_TIMING: not timed). */
  protected recordTime(start: number): void {
    if (start !== NO_TIMING) this.stats?.recordLatency((performance.now() - start) * 1e6);
  }

  /** close({ timeoutMs }) expired: what still runs fails with EBUS_CLOSED. */
  protected abandonActive(): void {
    for (const state of [...this.active]) {
      const pendings: PendingDelivery[] = [];
      for (let p = state.pending; p !== null; p = p.previous) pendings.push(p);
      // In the order the deliveries started.
      for (const pending of pendings.reverse()) {
        if (pending.done) continue;
        const sub = pending.subscription;
        const late =
          sub === null
            ? new BusClosedError(`publish of ${state.eventId} to the bridge did not finish before close() timed out`)
            : new BusClosedError(`delivery to subscription ${sub.id} did not finish before close() timed out`, {
                subscriptionId: sub.id,
                pattern: sub.pattern,
              });
        this.settle(pending, late);
      }
    }
  }
}
