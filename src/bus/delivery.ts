/**
 * DeliveryRunner: calls the handlers of one emit (docs/architecture.md: the path of an emit); the
 * books of the emit (its pending deliveries, its promise, close's drain) are EmitBooks', which it
 * extends (emit-books.ts).
 *
 * For each matching subscription, in subscription order: the filter (sync or async), a `once`
 * claim, then the handler: in-process (sync or async), behind a concurrency limiter, or offloaded
 * to the worker pool. Synchronous outcomes are counted on the EmitState at once; asynchronous
 * ones are tracked in the books, and the emit's promise settles when the last of them has. Every
 * error is caught, wrapped in a coded BusError, counted and reported: none rejects the emit.
 * Handler time is sampled (one delivery in `sampleEvery`): performance.now() costs more than a
 * dispatch here.
 */
import { BusError, HandlerFailedError, TransportError } from "../errors.js";
import type { Event } from "../event.js";
import { WorkerDispatcher, type DispatcherOptions } from "../offload/dispatcher.js";
import type { ThreadEvent } from "../offload/protocol.js";
import type { MainStatsWriter } from "../stats/main-writer.js";
import { EmitBooks, FILTERED, NO_TIMING } from "./emit-books.js";
import type { EmitState, PendingDelivery } from "./emit-state.js";
import type { BridgeLink, LocalEmitOutcome } from "./bridge.js";
import type { Place } from "./concurrency.js";
import type { ErrorReporter } from "./reporter.js";
import type { DeliveryTarget, Subscription } from "./subscription.js";
import { isThenable } from "../thenable.js";
import { asError, messageOf, textOf } from "../describe-input.js";

type LimitedTarget = Extract<DeliveryTarget, { kind: "limited" }>;

export class DeliveryRunner extends EmitBooks {
  private dispatcher: WorkerDispatcher<PendingDelivery> | null = null;
  /** Time the first delivery, then one in `sampleEvery`. */
  private sampleCountdown = 1;

  constructor(
    stats: MainStatsWriter | null,
    reporter: ErrorReporter,
    /** Time one delivery in this many; 0 never (stats off). */
    private readonly sampleEvery: number,
    private readonly workerOptions: DispatcherOptions,
    /** Removes a subscription (a `once` subscription, at its first event). */
    private readonly unsubscribe: (subscriptionId: string) => boolean,
    /** Emits what an offloaded handler sent with ctx.emit, `depth` levels deep (see EventBus). */
    private readonly emitFollowUps: (events: ThreadEvent[], depth: number) => void,
  ) {
    super(stats, reporter);
  }

  /**
   * close({ timeoutMs }) gave up: offloaded deliveries whose handler already finished end with
   * their own outcome (the worker counted them), then what still runs fails with EBUS_CLOSED.
   */
  protected override abandonActive(): void {
    this.dispatcher?.settleFinished();
    super.abandonActive();
  }

  /** The worker pool's dispatcher, or null before the first offloaded delivery. */
  get offloaded(): WorkerDispatcher<PendingDelivery> | null {
    return this.dispatcher;
  }

  /**
   * Offers a local emit to the bridge: unless the link skips its type, the bridge is one more
   * delivery target of the emit, and a failed publish one more failure (EBUS_TRANSPORT).
   */
  publish(link: BridgeLink, event: Event, state: EmitState): void {
    let outcome: LocalEmitOutcome;
    try {
      outcome = link.onLocalEmit(event);
    } catch (err) {
      outcome = Promise.reject(asError(err));
    }
    if (outcome === "skipped") return;
    state.matched++;
    if (outcome === "sent") {
      state.delivered++;
      return;
    }
    const pending = this.track(state, null, NO_TIMING);
    outcome.then(
      () => this.settle(pending, null),
      (err: unknown) =>
        this.settle(
          pending,
          err instanceof BusError
            ? err
            : new TransportError(`publish of ${event.eventId} failed: ${textOf(err)}`, { cause: err }),
        ),
    );
  }

  deliver(sub: Subscription, event: Event, state: EmitState): void {
    const filter = sub.filter;
    if (filter !== null) {
      // A limited subscription's call takes its place in line before its filter runs, so that
      // calls start in emit order however long each filter takes (and whatever it emits itself).
      const place = sub.target.kind === "limited" ? sub.target.limiter.reserve() : null;
      let verdict: unknown;
      try {
        verdict = filter(event);
        // A real promise adopts a thenable, so a `then` that throws becomes a rejection.
        if (isThenable(verdict)) verdict = Promise.resolve(verdict);
      } catch (err) {
        place?.giveUp();
        this.fail(state, sub, err, "filter");
        return;
      }
      if (verdict instanceof Promise) {
        const pending = this.track(state, sub, NO_TIMING);
        verdict.then(
          (ok) => {
            if (pending.done || !ok || !this.claimOnce(sub)) {
              place?.giveUp();
              if (!pending.done) this.settle(pending, FILTERED);
            } else this.callAsync(pending, sub, event, place);
          },
          (err: unknown) => {
            place?.giveUp();
            this.settle(pending, this.failure(sub, err, "filter"));
          },
        );
        return;
      }
      if (!verdict || !this.claimOnce(sub)) {
        place?.giveUp();
        state.filtered++;
        return;
      }
      if (place !== null && sub.target.kind === "limited") {
        this.runLimited(this.track(state, sub, NO_TIMING), sub, sub.target, event, place);
        return;
      }
    } else if (!this.claimOnce(sub)) {
      state.filtered++;
      return;
    }
    const target = sub.target;
    switch (target.kind) {
      case "handler":
        break;
      case "limited":
        this.runLimited(this.track(state, sub, NO_TIMING), sub, target, event);
        return;
      case "offload": {
        const pending = this.track(state, sub, NO_TIMING);
        this.workers().submit(target.offload, sub.id, sub.pattern, event, pending);
        return;
      }
    }
    const start = this.timing();
    let returned: unknown;
    try {
      returned = target.handler(event);
      if (isThenable(returned)) returned = Promise.resolve(returned);
    } catch (err) {
      this.recordTime(start);
      this.fail(state, sub, err, "handler");
      return;
    }
    if (returned instanceof Promise) {
      const pending = this.track(state, sub, start);
      returned.then(
        () => this.settle(pending, null),
        (err: unknown) => this.settle(pending, this.failure(sub, err, "handler")),
      );
      return;
    }
    this.recordTime(start);
    state.delivered++;
  }

  /** A once subscription lets one event through: the first to get here unsubscribes it. */
  private claimOnce(sub: Subscription): boolean {
    if (!sub.once) return true;
    if (sub.fired) return false;
    sub.fired = true;
    this.unsubscribe(sub.id);
    return true;
  }

  /** The handler part of a delivery whose filter was asynchronous; `place`: its limiter's, taken at emit. */
  private callAsync(pending: PendingDelivery, sub: Subscription, event: Event, place: Place | null): void {
    const target = sub.target;
    switch (target.kind) {
      case "handler":
        Promise.resolve()
          .then(() => target.handler(event))
          .then(
            () => this.settle(pending, null),
            (err: unknown) => this.settle(pending, this.failure(sub, err, "handler")),
          );
        return;
      case "limited":
        this.runLimited(pending, sub, target, event, place);
        return;
      case "offload":
        this.workers().submit(target.offload, sub.id, sub.pattern, event, pending);
        return;
    }
  }

  /**
   * An offloaded delivery ended. Its follow-ups are emitted first, so the original emit resolves
   * once they have been dispatched; they nest one level deeper than the event that caused them.
   */
  private readonly settleOffloaded = (
    pending: PendingDelivery,
    error: BusError | null,
    counted: boolean,
    followUps: ThreadEvent[] | null,
  ): void => {
    if (pending.done) {
      // close({ timeoutMs }) gave up on it already: what it sent is dropped.
      if (followUps !== null) this.stats?.countFollowUps(0, followUps.length);
      return;
    }
    if (counted) {
      if (error === null) pending.state.workerDelivered++;
      else pending.state.workerFailed++;
    }
    if (followUps !== null) this.emitFollowUps(followUps, pending.state.depth + 1);
    this.settle(pending, error);
  };

  private fail(state: EmitState, sub: Subscription, err: unknown, what: "handler" | "filter"): void {
    const error = this.failure(sub, err, what);
    state.fail(error);
    this.reporter.report(error, sub);
  }

  private failure(sub: Subscription, err: unknown, what: "handler" | "filter"): BusError {
    const detail = messageOf(err);
    return new HandlerFailedError(
      `${what} of subscription ${sub.id} (${JSON.stringify(sub.pattern)}) failed: ${detail}`,
      {
        cause: err,
        subscriptionId: sub.id,
        pattern: sub.pattern,
      },
    );
  }

  /**
   * Sampled handler timing: a performance.now() costs more than the dispatch it would time (the
   * `stats` bench scenario).
   */
  private timing(): number {
    if (this.sampleEvery === 0 || --this.sampleCountdown > 0) return NO_TIMING;
    this.sampleCountdown = this.sampleEvery;
    return performance.now();
  }

  /** The worker pool's dispatcher, made on the first offloaded delivery. */
  private workers(): WorkerDispatcher<PendingDelivery> {
    this.dispatcher ??= new WorkerDispatcher(
      this.workerOptions,
      this.stats,
      (error) => this.reporter.report(error, null),
      this.settleOffloaded,
    );
    return this.dispatcher;
  }

  /** A delivery of a subscription with a `concurrency` limit: it runs when the limiter has room. */
  private runLimited(
    pending: PendingDelivery,
    sub: Subscription,
    target: LimitedTarget,
    event: Event,
    place: Place | null = null,
  ): void {
    let start = NO_TIMING;
    const task = (): unknown => {
      // close({ timeoutMs }) may have failed this delivery while it was queued: do not run it.
      if (pending.done) return undefined;
      start = this.timing();
      return target.handler(event);
    };
    (place === null ? target.limiter.run(task) : place.start(task)).then(
      () => {
        this.recordTime(start);
        this.settle(pending, null);
      },
      (err: unknown) => {
        this.recordTime(start);
        this.settle(pending, this.failure(sub, err, "handler"));
      },
    );
  }
}
