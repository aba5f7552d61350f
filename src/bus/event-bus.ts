/**
 * EventBus: the public surface of the publish/subscribe core (docs/architecture.md: the path of
 * an emit). emit(event) checks the bus, the argument and the schema, then hands the event to the
 * EmitPath (emit-path.ts: history, stats, the trie), whose DeliveryRunner (delivery.ts) calls the
 * handlers and publishes to the bridge, and keeps the emit's books (emit-books.ts).
 */
import { isEvent, type Event } from "../event.js";
import { AlreadyBridgedError, BusClosedError, InvalidEventError, InvalidOptionsError } from "../errors.js";
import { isPlainObject, received } from "../describe-input.js";
import { attachTransport, bridgeHandle, type Bridge, type BridgeHost, type BusTransport } from "./bridge.js";
import { MainStatsWriter } from "../stats/main-writer.js";
import type { EmitResult } from "./emit-state.js";
import { checkEvents, notAnEvent } from "./emit-input.js";
import { History } from "./history.js";
import { parseCloseOptions, resolveOptions } from "./options.js";
import type { BusOptions, CloseOptions, Logger, ResolvedOptions } from "./options.js";
import { EmitPath } from "./emit-path.js";
import { ErrorReporter, guardedLogger, logSafely } from "./reporter.js";
import { buildStats, queryHistory, type HistoryQuery } from "./queries.js";
import { SubscriptionRegistry } from "./registry.js";
import type { Handler, SubscribeOptions } from "./subscription.js";
import type { OffloadHandler } from "../offload/offload.js";
import { renderPrometheus, type MetricsOptions } from "../stats/prometheus.js";
import type { BusStats } from "../stats/report.js";
import { unsubscriber, type Unsubscribe } from "./disposable.js";
import type { PayloadSchema } from "./schemas.js";
import { EventStream, type StreamOptions } from "./stream.js";
import type { AnyEvent, EventMap, EventOf, HandledEvent, PatternArg, PayloadOf, UntypedEvents } from "./typed.js";
import { CloseHooks, waitFor, type WaitForOptions, type WaitHost } from "./waiting.js";

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
export class EventBus<M extends EventMap<M> = UntypedEvents> {
  private readonly options: ResolvedOptions;
  private readonly subscriptions = new SubscriptionRegistry();
  private readonly history: History<Event>;
  private readonly stats: MainStatsWriter | null;
  private readonly reporter: ErrorReporter;
  private readonly logger: Logger | undefined;
  private readonly path: EmitPath;
  private closed = false;
  private closing: Promise<void> | null = null;
  /** A bridge() is setting up its transport. */
  private attaching = false;
  /** Run when close() starts: pending waitFor calls reject, streams end. */
  private readonly closeHooks = new CloseHooks();

  /** @throws InvalidOptionsError when an option is unknown or out of range (zod issues as `cause`). */
  constructor(options: BusOptions = {}) {
    this.options = resolveOptions(options);
    const { stats, workers, maxNesting, logger } = this.options;
    this.history = new History(this.options.maxHistory);
    const layout = { workerStripes: workers.maxThreads * 2, typeCapacity: stats?.typeCapacity ?? 0 };
    this.stats = stats === null ? null : MainStatsWriter.create(layout);
    this.logger = logger;
    this.reporter = new ErrorReporter(this.options.onError, logger);
    const { history, subscriptions, reporter } = this;
    const sampleEvery = stats?.sampleEvery ?? 0;
    const unsubscribe = (id: string): boolean => this.unsubscribe(id);
    const isClosed = (): boolean => this.closed;
    this.path = new EmitPath({
      maxNesting,
      history,
      stats: this.stats,
      subscriptions,
      reporter,
      logger,
      workers,
      sampleEvery,
      unsubscribe,
      isClosed,
    });
  }

  /** This bus's identity across processes (the `nodeId` option, or a random one). */
  get nodeId(): string {
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
   */
  subscribe<E extends Event = Event, const P extends string = string>(
    pattern: PatternArg<M, P>,
    handler: Handler<HandledEvent<M, P, E>> | OffloadHandler,
    options?: SubscribeOptions<HandledEvent<M, P, E>>,
  ): string {
    return this.add(pattern, handler, options);
  }

  /** subscribe, untyped: the typed API checks the pattern and handler types, this the values. */
  private add(pattern: string, handler: unknown, options: unknown): string {
    if (this.closed) throw new BusClosedError("cannot subscribe: the event bus is closed");
    const sub = this.subscriptions.subscribe(pattern, handler, options, (id) => this.unsubscribe(id));
    if (sub === null) return "";
    if (this.logger !== undefined) logSafely(this.logger, "info", { subscriptionId: sub.id, pattern }, "subscribed");
    return sub.id;
  }

  /** Removes a subscription. @returns whether it existed. */
  unsubscribe(subscriptionId: string): boolean {
    const sub = this.subscriptions.remove(subscriptionId);
    if (sub === undefined) return false;
    const { pattern } = sub;
    if (this.logger !== undefined) logSafely(this.logger, "info", { subscriptionId, pattern }, "unsubscribed");
    return true;
  }

  /**
   * Records the event in history and stats, then runs every matching handler. Resolves when all of
   * them have settled; never rejects because of a handler.
   *
   * @throws (rejects) InvalidEventError for a non-Event or data that fails the schema `define`d
   * for its type (then nothing is dispatched, stored or counted), BusClosedError after close(),
   * RecursionLimitError past the nesting limit of synchronous re-emits.
   */
  emit(event: EventOf<M>): Promise<EmitResult>;
  emit(event: AnyEvent): Promise<EmitResult> {
    return this.checkedEmit(event, false);
  }

  /** emit, or the dispatch of an event from another process (`remote`: not offered to the bridge). */
  private checkedEmit(event: unknown, remote: boolean): Promise<EmitResult> {
    if (this.closed) return Promise.reject(new BusClosedError("cannot emit: the event bus is closed"));
    if (!isEvent(event)) return Promise.reject(notAnEvent("event", event));
    const schemas = this.path.schemas;
    if (schemas !== null) {
      const invalid = schemas.check(event);
      if (invalid !== null) return Promise.reject(invalid);
    }
    return this.path.dispatch(event, remote);
  }

  /**
   * Emits each event in order (their handlers are invoked in the order of the events; behind an
   * async filter, when it answers) without waiting between them, so offloaded deliveries share
   * batches. Resolves when all have settled.
   *
   * @throws (rejects, before emitting any) InvalidEventError when an item is not an Event or fails
   * its type's schema.
   */
  emitMany(events: Iterable<EventOf<M>>): Promise<EmitResult[]>;
  emitMany(events: Iterable<AnyEvent>): Promise<EmitResult[]> {
    if (this.closed) return Promise.reject(new BusClosedError("cannot emit: the event bus is closed"));
    const list = checkEvents(events, this.path.schemas);
    if (list instanceof InvalidEventError) return Promise.reject(list);
    const all = Promise.all(list.map((event) => this.path.dispatch(event, false)));
    // Past the nesting limit an emit rejects; a handler that does not await must not crash the process.
    all.catch(() => undefined);
    return all;
  }

  /** History, oldest first; `pattern` and `source` filter, then `limit` keeps the last ones. */
  getHistory(query: HistoryQuery = {}): Event[] {
    return queryHistory(this.history, query);
  }

  /** Subscriptions with exactly this pattern string; with none, all subscriptions. */
  getSubscriptionCount(pattern?: string): number {
    return pattern === undefined ? this.subscriptions.size : this.subscriptions.count(pattern);
  }

  getStats(): BusStats {
    const { stats, subscriptions, history, options } = this;
    const { runner, link } = this.path;
    return buildStats({ stats, subscriptions, history, options, pool: runner.offloaded, link });
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
   * deliveries still running after it fail with EBUS_CLOSED. Idempotent: a later call returns the
   * same promise, and its `timeoutMs`, if any, applies too (the earliest deadline wins), so a
   * second close({ timeoutMs }) can cut short a first close() that waits for slow handlers.
   *
   * @throws (rejects) InvalidOptionsError for anything but `{ timeoutMs?: number >= 0 }`.
   */
  close(options: CloseOptions = {}): Promise<void> {
    let timeoutMs: number | undefined;
    try {
      timeoutMs = parseCloseOptions(options).timeoutMs;
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.closing !== null) {
      if (timeoutMs !== undefined) this.path.runner.cutAfter(timeoutMs);
      return this.closing;
    }
    this.closed = true;
    this.closeHooks.run();
    this.closing = this.shutdown(timeoutMs);
    return this.closing;
  }

  /**
   * Bridges this bus to other processes: local emits of exported types are published (the bridge
   * is one more delivery target of such an emit, so a failed publish shows in its EmitResult as a
   * failure with code EBUS_TRANSPORT), and remote events are dispatched here exactly as local ones,
   * never published again. One bridge at a time; `close()` closes it too.
   *
   * Set up with NatsTransport in docs/nats.md.
   *
   * @throws (rejects) BusClosedError, AlreadyBridgedError while another bridge is open, TransportError
   */
  async bridge(transport: BusTransport): Promise<Bridge> {
    if (this.closed) throw new BusClosedError("cannot bridge: the event bus is closed");
    // A bridge being set up counts as open: two bridge() calls at once would both pass otherwise.
    if (this.attaching || (this.path.link !== null && this.path.link.stats().state !== "closed"))
      throw new AlreadyBridgedError();
    const host: BridgeHost = {
      nodeId: this.nodeId,
      // The transport logs through it freely: a logger that throws or rejects cannot reach it.
      logger: this.logger === undefined ? undefined : guardedLogger(this.logger),
      // The schemas defined for the type apply: a remote event that breaks one rejects.
      dispatchRemote: (event) => this.checkedEmit(event, true),
      reportError: (error) => this.reporter.report(error, null),
    };
    this.attaching = true;
    try {
      this.path.link = await attachTransport(transport, host, () => this.closed);
    } finally {
      this.attaching = false;
    }
    return bridgeHandle(this.path.link);
  }

  private async shutdown(timeoutMs: number | undefined): Promise<void> {
    // Stops remote intake now; resolves once what it took in has settled and been acked.
    const bridgeClosed = this.path.link?.close();
    await this.path.runner.drain(timeoutMs);
    await bridgeClosed;
    await this.path.runner.offloaded?.close();
  }

  // ---- typed API, taught with examples in docs/typescript.md (metrics: docs/stats-and-metrics.md)

  /**
   * Validates the `data` of every event of `type` at `emit` (and `emitMany`) with a zod schema:
   * an event that fails rejects its emit with InvalidEventError (code `EBUS_INVALID_EVENT`, the
   * zod issues as `cause`) before anything is dispatched, stored in history or counted. The data
   * is checked, not transformed. Defining a type again replaces its schema.
   *
   * @throws InvalidEventError for an invalid type, InvalidOptionsError when `schema` is not a zod schema.
   */
  define<K extends keyof M & string>(type: K, schema: PayloadSchema<PayloadOf<M, K>>): this {
    this.path.define(type, schema);
    return this;
  }

  /**
   * `define` for each entry of a plain object of event type to schema, such as `seedSchemas`: all
   * of them, or, when one is refused, none (the error names it).
   *
   * @throws InvalidOptionsError when `schemas` is not a plain object (a `Map`: pass
   * `Object.fromEntries(map)`) or an entry is not a zod schema; InvalidEventError for a bad type.
   */
  defineAll(schemas: { [K in keyof M & string]?: PayloadSchema<PayloadOf<M, K>> }): this {
    if (!isPlainObject(schemas)) {
      const got = received(schemas);
      throw new InvalidOptionsError(
        `defineAll takes a plain object of event type to zod schema, such as seedSchemas${got === "a Map" ? " (for a Map, pass Object.fromEntries(map))" : ""}; got ${got}`,
      );
    }
    this.path.defineAll(Object.entries(schemas).filter(([, schema]) => schema !== undefined));
    return this;
  }

  /**
   * Checks an event against the schema defined for its type (a no-op for types without one) and
   * returns it, typed for this bus. For events from outside, such as a transport's `Event.fromDict`.
   *
   * @throws InvalidEventError (code `EBUS_INVALID_EVENT`, zod issues as `cause`).
   */
  validate(event: Event): EventOf<M> {
    if (!isEvent(event)) throw notAnEvent("event", event);
    const invalid = this.path.schemas?.check(event) ?? null;
    if (invalid !== null) throw invalid;
    return event as EventOf<M>;
  }

  /**
   * `subscribe`, returning an unsubscribe function instead of the id. The function is also
   * `Disposable`: `using off = bus.on(...)` unsubscribes when the block ends.
   */
  on<E extends Event = Event, const P extends string = string>(
    pattern: PatternArg<M, P>,
    handler: Handler<HandledEvent<M, P, E>> | OffloadHandler,
    options?: SubscribeOptions<HandledEvent<M, P, E>>,
  ): Unsubscribe {
    return unsubscriber(this.subscribe(pattern, handler, options), (id) => this.unsubscribe(id));
  }

  /**
   * Resolves with the first event matching `pattern` (and `filter`). Rejects with
   * WaitTimeoutError (code `EBUS_WAIT_TIMEOUT`) after `timeoutMs`, with an `AbortError`
   * (code `ABORT_ERR`, the reason as `cause`) when `signal` aborts, and with BusClosedError when
   * the bus closes first. Its subscription is removed however it settles.
   */
  waitFor<E extends Event = Event, const P extends string = string>(
    pattern: PatternArg<M, P>,
    options?: WaitForOptions<HandledEvent<M, P, E>>,
  ): Promise<HandledEvent<M, P, E>> {
    return waitFor(this.waitHost(), pattern, options) as Promise<HandledEvent<M, P, E>>;
  }

  /**
   * The events matching `pattern` as an async iterator with a bounded buffer (see StreamOptions
   * for the overflow policies). Breaking out of `for await`, aborting `signal` or closing the bus
   * removes its subscription.
   *
   * @throws InvalidPatternError, InvalidOptionsError, BusClosedError, AbortError (signal already aborted)
   */
  stream<E extends Event = Event, const P extends string = string>(
    pattern: PatternArg<M, P>,
    options?: StreamOptions,
  ): EventStream<HandledEvent<M, P, E>> {
    return new EventStream<HandledEvent<M, P, E>>(this.waitHost(), pattern, options);
  }

  /**
   * The statistics in the Prometheus text exposition format, for a `/metrics` endpoint (serve it
   * as `text/plain; version=0.0.4`).
   */
  metrics(options: MetricsOptions = {}): string {
    return renderPrometheus(this.getStats(), this.stats?.snapshot().latencyBuckets ?? null, options);
  }

  private waitHost(): WaitHost {
    return {
      subscribe: (pattern, handler, options) => this.add(pattern, handler, options),
      unsubscribe: (id) => this.unsubscribe(id),
      onClose: (hook) => this.closeHooks.add(hook),
    };
  }
}
