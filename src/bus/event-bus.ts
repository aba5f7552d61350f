/**
 * EventBus: the publish/subscribe core (DESIGN.md section 4).
 *
 * emit(event) does, in order: history push, stats count, one trie lookup (usually a cache hit),
 * then calls each matching handler in subscription order. Synchronous handlers settle inside
 * the call; asynchronous ones (and offloaded ones) are tracked by an EmitState whose promise
 * settles when the last of them has. Handler and filter errors are caught, wrapped in coded
 * BusErrors, counted and reported: they never reject the emit.
 */
import { Event } from "../event.js";
import {
  BusClosedError,
  HandlerFailedError,
  InvalidEventError,
  InvalidOptionsError,
  RecursionLimitError,
  type BusError,
} from "../errors.js";
import { WorkerDispatcher } from "../offload/dispatcher.js";
import { parsePattern } from "../pattern/grammar.js";
import { TopicTrie } from "../pattern/trie.js";
import { StatsBlock } from "../stats/stats-block.js";
import { EmitState, PendingDelivery, type EmitResult } from "./emit-state.js";
import { History } from "./history.js";
import { resolveOptions, type BusOptions, type Logger, type ResolvedOptions } from "./options.js";
import { ErrorReporter } from "./reporter.js";
import { buildStats, parseHistoryQuery, type BusStats, type HistoryQuery } from "./queries.js";
import { parseSubscribeArgs, Subscription, type Handler, type SubscribeOptions } from "./subscription.js";
import type { OffloadHandler } from "../offload/offload.js";

const NO_TIMING = -1;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") && typeof (value as PromiseLike<unknown>).then === "function";
}

/**
 * The event bus.
 *
 * @example
 * ```ts
 * const bus = new EventBus();
 * bus.subscribe("task.completed", (e) => console.log(`Task completed: ${e.data.task_id}`));
 * await bus.emit(new Event(EventType.TASK_COMPLETED, "workflow_1", { task_id: "t1" }));
 * await bus.close();
 * ```
 */
export class EventBus {
  private readonly options: ResolvedOptions;
  private readonly trie = new TopicTrie<Subscription>();
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly patternCounts = new Map<string, number>();
  private readonly history: History<Event>;
  private readonly stats: StatsBlock | null;
  private readonly reporter: ErrorReporter;
  private readonly logger: Logger | undefined;
  /** Emits with asynchronous deliveries still running (close() waits for them). */
  private readonly active = new Set<EmitState>();
  private dispatcher: WorkerDispatcher | null = null;
  private seq = 0;
  private depth = 0;
  private sampleCountdown: number;
  private closed = false;
  private closing: Promise<void> | null = null;
  private drained: (() => void) | null = null;

  /** @throws InvalidOptionsError when an option is unknown or out of range (zod issues as `cause`). */
  constructor(options: BusOptions = {}) {
    this.options = resolveOptions(options);
    this.history = new History(this.options.maxHistory);
    const stats = this.options.stats;
    this.stats = stats === null ? null : StatsBlock.create({ workerStripes: this.options.workers.maxThreads * 2, typeCapacity: stats.typeCapacity });
    this.sampleCountdown = 1; // time the first delivery, then one in `sampleEvery`
    this.logger = this.options.logger;
    this.reporter = new ErrorReporter(this.options.onError, this.logger);
  }

  /** This bus's identity across processes (the `nodeId` option, or a random one). */
  get nodeId(): string | undefined {
    return this.options.nodeId;
  }

  /** Whether `close()` has been called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Subscribes `handler` (a function, or an `offload()` descriptor) to events matching `pattern`.
   *
   * @returns the subscription id, for `unsubscribe`.
   * @throws InvalidPatternError, InvalidHandlerError, InvalidOptionsError, BusClosedError
   * @example
   * ```ts
   * const id = bus.subscribe("task.failed", onFailure, { filter: (e) => e.data.priority === "critical" });
   * ```
   */
  subscribe<E extends Event = Event>(pattern: string, handler: Handler<E> | OffloadHandler, options?: SubscribeOptions<E>): string {
    if (this.closed) throw new BusClosedError("cannot subscribe: the event bus is closed");
    const parsed = parsePattern(pattern);
    const args = parseSubscribeArgs(handler, options);
    const { filter, signal, once } = args.options;
    if (signal?.aborted === true) return "";
    const sub = new Subscription(this.seq++, pattern, parsed, args.handler, args.offload, filter ?? null, once ?? false, signal ?? null);
    this.trie.add(parsed, sub);
    this.subscriptions.set(sub.id, sub);
    this.patternCounts.set(pattern, (this.patternCounts.get(pattern) ?? 0) + 1);
    if (signal !== undefined) {
      sub.abortListener = () => this.unsubscribe(sub.id);
      signal.addEventListener("abort", sub.abortListener, { once: true });
    }
    this.logger?.info?.({ subscriptionId: sub.id, pattern }, "subscribed");
    return sub.id;
  }

  /** Removes a subscription. @returns whether it existed. */
  unsubscribe(subscriptionId: string): boolean {
    const sub = this.subscriptions.get(subscriptionId);
    if (sub === undefined) return false;
    this.subscriptions.delete(subscriptionId);
    this.trie.remove(sub.parsed, sub);
    const left = (this.patternCounts.get(sub.pattern) ?? 1) - 1;
    if (left === 0) this.patternCounts.delete(sub.pattern);
    else this.patternCounts.set(sub.pattern, left);
    if (sub.signal !== null && sub.abortListener !== null) sub.signal.removeEventListener("abort", sub.abortListener);
    this.logger?.info?.({ subscriptionId, pattern: sub.pattern }, "unsubscribed");
    return true;
  }

  /**
   * Records the event in history and stats, then runs every matching handler. Resolves when all of
   * them have settled; never rejects because of a handler.
   *
   * @throws (rejects) InvalidEventError for a non-Event, BusClosedError after close(),
   * RecursionLimitError past the nesting limit of synchronous re-emits.
   */
  emit(event: Event): Promise<EmitResult> {
    if (this.closed) return Promise.reject(new BusClosedError("cannot emit: the event bus is closed"));
    if (!(event instanceof Event)) {
      return Promise.reject(new InvalidEventError("event", "must be an Event instance (use Event.fromDict for wire input)"));
    }
    if (this.depth >= this.options.maxNesting) return this.recursionLimit(event);
    this.history.push(event);
    this.stats?.countEmit(event.eventType);
    this.logger?.debug?.({ eventId: event.eventId, eventType: event.eventType }, "emit");
    const subs = this.trie.match(event.eventType);
    const state = new EmitState(event.eventId, subs.length);
    if (subs.length !== 0) {
      this.depth++;
      try {
        for (let i = 0; i < subs.length; i++) this.deliver(subs[i]!, event, state);
      } finally {
        this.depth--;
      }
    }
    return this.seal(state);
  }

  /**
   * Emits each event in order (their handlers are invoked in the order of the events) without
   * waiting between them, so offloaded deliveries share batches. Resolves when all have settled.
   *
   * @throws (rejects, before emitting any) InvalidEventError when an item is not an Event.
   */
  emitMany(events: Iterable<Event>): Promise<EmitResult[]> {
    if (this.closed) return Promise.reject(new BusClosedError("cannot emit: the event bus is closed"));
    if (events === null || typeof events !== "object" || typeof (events as Iterable<Event>)[Symbol.iterator] !== "function") {
      return Promise.reject(new InvalidEventError("events", "must be an iterable of Event"));
    }
    const list = Array.from(events);
    const bad = list.findIndex((e) => !(e instanceof Event));
    if (bad >= 0) return Promise.reject(new InvalidEventError(`events[${bad}]`, "must be an Event instance"));
    const all = Promise.all(list.map((event) => this.emit(event)));
    // Past the nesting limit an emit rejects; a handler that does not await must not crash the process.
    all.catch(() => undefined);
    return all;
  }

  /** History, oldest first; `pattern` and `source` filter, then `limit` keeps the last ones. */
  getHistory(query: HistoryQuery = {}): Event[] {
    const { keep, limit } = parseHistoryQuery(query);
    const events = this.history.toArray(keep);
    return limit === undefined ? events : limit === 0 ? [] : events.slice(-limit);
  }

  /** Subscriptions with exactly this pattern string; with none, all subscriptions. */
  getSubscriptionCount(pattern?: string): number {
    return pattern === undefined ? this.subscriptions.size : (this.patternCounts.get(pattern) ?? 0);
  }

  getStats(): BusStats {
    return buildStats({
      stats: this.stats,
      subscriptions: this.subscriptions.size,
      patterns: [...this.patternCounts.keys()],
      historySize: this.history.size,
      maxHistory: this.options.maxHistory,
      threads: this.dispatcher?.threads ?? 0,
      queueCapacity: this.dispatcher?.started === true ? this.options.workers.maxQueue : 0,
    });
  }

  clearHistory(): void {
    this.history.clear();
  }

  /** Zeroes the counters and per-type counts; keeps subscriptions, history and gauges. */
  resetStats(): void {
    this.stats?.reset();
  }

  /**
   * Lets every emit called before it settle, then stops the worker pool. With `timeoutMs`,
   * deliveries still running after it fail with EBUS_CLOSED. Idempotent.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options?.timeoutMs;
    if (timeoutMs !== undefined && !(typeof timeoutMs === "number" && timeoutMs >= 0 && Number.isFinite(timeoutMs))) {
      return Promise.reject(new InvalidOptionsError("close timeoutMs must be a non-negative finite number"));
    }
    this.closed = true;
    this.closing ??= this.shutdown(timeoutMs);
    return this.closing;
  }

  // ---- dispatch --------------------------------------------------------------------------

  private deliver(sub: Subscription, event: Event, state: EmitState): void {
    const filter = sub.filter;
    if (filter !== null) {
      let verdict: unknown;
      try {
        verdict = filter(event);
      } catch (err) {
        this.fail(state, sub, err, "filter");
        return;
      }
      if (isThenable(verdict)) {
        const pending = this.track(state, sub, NO_TIMING);
        verdict.then(
          (ok) => {
            if (pending.done) return;
            if (!ok || !this.claimOnce(sub)) this.settle(pending, FILTERED);
            else this.callAsync(pending, event);
          },
          (err: unknown) => this.settle(pending, this.failure(sub, err, "filter")),
        );
        return;
      }
      if (!verdict) {
        state.filtered++;
        return;
      }
    }
    if (!this.claimOnce(sub)) {
      state.filtered++;
      return;
    }
    if (sub.offload !== null) {
      this.runOffloaded(this.track(state, sub, NO_TIMING), event);
      return;
    }
    const start = this.timing();
    let returned: unknown;
    try {
      returned = sub.handler!(event);
    } catch (err) {
      this.recordTime(start);
      this.fail(state, sub, err, "handler");
      return;
    }
    if (isThenable(returned)) {
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

  /** The handler part of a delivery whose filter was asynchronous. */
  private callAsync(pending: PendingDelivery, event: Event): void {
    const sub = pending.subscription;
    if (sub.offload !== null) {
      this.runOffloaded(pending, event);
      return;
    }
    Promise.resolve()
      .then(() => sub.handler!(event))
      .then(
        () => this.settle(pending, null),
        (err: unknown) => this.settle(pending, this.failure(sub, err, "handler")),
      );
  }

  private runOffloaded(pending: PendingDelivery, event: Event): void {
    const sub = pending.subscription;
    this.workers()
      .deliver(sub.offload!, sub.id, sub.pattern, event)
      .then((outcome) => {
        if (pending.done) return;
        if (outcome.countedByWorker) {
          if (outcome.error === null) pending.state.workerDelivered++;
          else pending.state.workerFailed++;
        }
        this.settle(pending, outcome.error);
      });
  }

  private track(state: EmitState, sub: Subscription, start: number): PendingDelivery {
    const pending = new PendingDelivery(state, sub, start);
    (state.pending ??= []).push(pending);
    state.remaining++;
    return pending;
  }

  /** Ends an asynchronous delivery: FILTERED, null (delivered) or the error it failed with. */
  private settle(pending: PendingDelivery, outcome: BusError | null | typeof FILTERED): void {
    if (pending.done) return;
    pending.done = true;
    const state = pending.state;
    this.recordTime(pending.start);
    if (outcome === null) state.delivered++;
    else if (outcome === FILTERED) state.filtered++;
    else {
      state.fail(outcome);
      this.reporter.report(outcome, pending.subscription);
    }
    if (--state.remaining === 0 && state.resolve !== null) this.finish(state);
  }

  /** After dispatch: resolve now if everything settled synchronously, else when the last does. */
  private seal(state: EmitState): Promise<EmitResult> {
    if (state.remaining === 0) {
      this.countOutcomes(state);
      return Promise.resolve(state.result());
    }
    this.stats?.addInFlight(state.remaining);
    this.active.add(state);
    state.promise = new Promise<EmitResult>((resolve) => {
      state.resolve = resolve;
    });
    return state.promise;
  }

  private finish(state: EmitState): void {
    this.stats?.addInFlight(-state.pending!.length);
    this.countOutcomes(state);
    this.active.delete(state);
    state.resolve!(state.result());
    if (this.drained !== null && this.active.size === 0) this.drained();
  }

  private countOutcomes(state: EmitState): void {
    if (this.stats === null) return;
    // Outcomes a worker counted itself are taken off the delivered and failed counts.
    this.stats.countDeliveries(state.delivered - state.workerDelivered, state.filtered, state.failed - state.workerFailed);
  }

  private fail(state: EmitState, sub: Subscription, err: unknown, what: "handler" | "filter"): void {
    const error = this.failure(sub, err, what);
    state.fail(error);
    this.reporter.report(error, sub);
  }

  private failure(sub: Subscription, err: unknown, what: "handler" | "filter"): BusError {
    const detail = err instanceof Error ? err.message : String(err);
    return new HandlerFailedError(`${what} of subscription ${sub.id} (${JSON.stringify(sub.pattern)}) failed: ${detail}`, {
      cause: err,
      subscriptionId: sub.id,
      pattern: sub.pattern,
    });
  }

  /** Sampled handler timing: performance.now() costs ~70 ns here, more than a dispatch. */
  private timing(): number {
    if (this.stats === null || --this.sampleCountdown > 0) return NO_TIMING;
    this.sampleCountdown = this.options.stats!.sampleEvery;
    return performance.now();
  }

  private recordTime(start: number): void {
    if (start !== NO_TIMING) this.stats?.recordLatency((performance.now() - start) * 1e6);
  }

  private recursionLimit(event: Event): Promise<EmitResult> {
    const error = new RecursionLimitError(this.options.maxNesting, event.eventType);
    this.reporter.report(error, null);
    const rejected = Promise.reject(error);
    // The handler that re-emitted may not await: keep the rejection from crashing the process.
    rejected.catch(() => undefined);
    return rejected;
  }

  private workers(): WorkerDispatcher {
    this.dispatcher ??= new WorkerDispatcher(this.options.workers, this.stats, (error) => this.reporter.report(error, null));
    return this.dispatcher;
  }

  private async shutdown(timeoutMs: number | undefined): Promise<void> {
    if (this.active.size > 0) {
      const drained = new Promise<void>((resolve) => {
        this.drained = resolve;
      });
      let timer: NodeJS.Timeout | undefined;
      if (timeoutMs !== undefined) {
        const expired = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        });
        await Promise.race([drained, expired]);
        clearTimeout(timer);
        this.abandonActive();
      } else {
        await drained;
      }
    }
    await this.dispatcher?.close();
  }

  /** close({ timeoutMs }) expired: what still runs fails with EBUS_CLOSED. */
  private abandonActive(): void {
    for (const state of [...this.active]) {
      for (const pending of state.pending ?? []) {
        if (pending.done) continue;
        const sub = pending.subscription;
        this.settle(pending, new BusClosedError(`delivery to subscription ${sub.id} did not finish before close() timed out`, { subscriptionId: sub.id, pattern: sub.pattern }));
      }
    }
  }
}

const FILTERED = Symbol("filtered");
