/**
 * EventBus: the public surface of the publish/subscribe core (docs/architecture.md: the path of
 * an emit).
 *
 * emit(event) checks the event, pushes it to history, counts it, looks its type up in the trie
 * (usually a cache hit) and hands each matching subscription, and the bridge, to the
 * DeliveryRunner, which calls the handlers and keeps the emit's books (delivery.ts).
 */
import { isEvent, type Event } from "../event.js";
import {
  AlreadyBridgedError,
  BusClosedError,
  InvalidEventError,
  InvalidOptionsError,
  RecursionLimitError,
} from "../errors.js";
import { parsePattern } from "../pattern/grammar.js";
import { bridgeHandle, type Bridge, type BridgeHost, type BridgeLink, type BusTransport } from "./bridge.js";
import { StatsBlock } from "../stats/stats-block.js";
import { DeliveryRunner } from "./delivery.js";
import { EmitState, type EmitResult } from "./emit-state.js";
import { checkEvents, notAnEvent } from "./emit-input.js";
import { History } from "./history.js";
import { parseCloseOptions, resolveOptions, type BusOptions, type CloseOptions, type Logger, type ResolvedOptions } from "./options.js";
import { ErrorReporter } from "./reporter.js";
import { buildStats, parseHistoryQuery, type BusStats, type HistoryQuery } from "./queries.js";
import { SubscriptionRegistry } from "./registry.js";
import { parseSubscribeArgs, Subscription, type Handler, type SubscribeOptions } from "./subscription.js";
import type { OffloadHandler } from "../offload/offload.js";
import { fromThreadEvent, type ThreadEvent } from "../offload/protocol.js";
import { renderPrometheus, type MetricsOptions } from "../stats/prometheus.js";
import { unsubscriber, type Unsubscribe } from "./disposable.js";
import { SchemaRegistry, type PayloadSchema } from "./schemas.js";
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
  private readonly stats: StatsBlock | null;
  private readonly reporter: ErrorReporter;
  private readonly logger: Logger | undefined;
  private readonly runner: DeliveryRunner;
  private seq = 0;
  private depth = 0;
  private closed = false;
  private closing: Promise<void> | null = null;
  /** The bridge to other processes (see bridge()); it stays here after closing, for getStats(). */
  private link: BridgeLink | null = null;

  /** @throws InvalidOptionsError when an option is unknown or out of range (zod issues as `cause`). */
  constructor(options: BusOptions = {}) {
    this.options = resolveOptions(options);
    this.history = new History(this.options.maxHistory);
    const stats = this.options.stats;
    this.stats = stats === null ? null : StatsBlock.create({ workerStripes: this.options.workers.maxThreads * 2, typeCapacity: stats.typeCapacity });
    this.logger = this.options.logger;
    this.reporter = new ErrorReporter(this.options.onError, this.logger);
    this.runner = new DeliveryRunner(
      this.stats,
      this.reporter,
      stats?.sampleEvery ?? 0,
      this.options.workers,
      (id) => this.unsubscribe(id),
      (events, depth) => this.emitFollowUps(events, depth),
    );
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
   * @example
   * ```ts
   * const id = bus.subscribe("task.failed", onFailure, { filter: (e) => e.data.priority === "critical" });
   * ```
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
    const parsed = parsePattern(pattern);
    const { target, filter, once, signal } = parseSubscribeArgs(handler, options);
    if (signal?.aborted === true) return "";
    const sub = new Subscription({ seq: this.seq++, pattern, parsed, target, filter, once, signal });
    this.subscriptions.add(sub);
    if (signal !== null) {
      sub.abortListener = () => this.unsubscribe(sub.id);
      signal.addEventListener("abort", sub.abortListener, { once: true });
    }
    if (this.logger !== undefined) this.log("info", { subscriptionId: sub.id, pattern }, "subscribed");
    return sub.id;
  }

  /** Removes a subscription. @returns whether it existed. */
  unsubscribe(subscriptionId: string): boolean {
    const sub = this.subscriptions.remove(subscriptionId);
    if (sub === undefined) return false;
    if (sub.signal !== null && sub.abortListener !== null) sub.signal.removeEventListener("abort", sub.abortListener);
    if (this.logger !== undefined) this.log("info", { subscriptionId, pattern: sub.pattern }, "unsubscribed");
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
    if (this.schemas !== null) {
      const invalid = this.schemas.check(event);
      if (invalid !== null) return Promise.reject(invalid);
    }
    return this.emitChecked(event, remote);
  }

  /** emit, past its checks of the bus, the argument and the schema (emitMany makes them first). */
  private emitChecked(event: Event, remote: boolean): Promise<EmitResult> {
    if (this.depth >= this.options.maxNesting) return this.recursionLimit(event);
    this.history.push(event);
    this.stats?.countEmit(event.eventType);
    if (this.logger !== undefined) this.log("debug", { eventId: event.eventId, eventType: event.eventType }, "emit");
    const subs = this.subscriptions.match(event.eventType);
    const state = new EmitState(event.eventId, subs.length, this.depth);
    if (this.link !== null && !remote) this.runner.publish(this.link, event, state);
    if (subs.length !== 0) {
      this.depth++;
      try {
        for (let i = 0; i < subs.length; i++) this.runner.deliver(subs[i]!, event, state);
      } finally {
        this.depth--;
      }
    }
    return this.runner.seal(state);
  }

  /**
   * Emits each event in order (their handlers are invoked in the order of the events) without
   * waiting between them, so offloaded deliveries share batches. Resolves when all have settled.
   *
   * @throws (rejects, before emitting any) InvalidEventError when an item is not an Event or fails
   * its type's schema.
   */
  emitMany(events: Iterable<EventOf<M>>): Promise<EmitResult[]>;
  emitMany(events: Iterable<AnyEvent>): Promise<EmitResult[]> {
    if (this.closed) return Promise.reject(new BusClosedError("cannot emit: the event bus is closed"));
    const list = checkEvents(events, this.schemas);
    if (list instanceof InvalidEventError) return Promise.reject(list);
    const all = Promise.all(list.map((event) => this.emitChecked(event, false)));
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
    return pattern === undefined ? this.subscriptions.size : this.subscriptions.count(pattern);
  }

  getStats(): BusStats {
    const pool = this.runner.offloaded;
    pool?.publishGauge();
    const stats = buildStats({
      stats: this.stats,
      subscriptions: this.subscriptions.size,
      patterns: this.subscriptions.patterns(),
      historySize: this.history.size,
      maxHistory: this.options.maxHistory,
      threads: pool?.threads ?? 0,
      queueCapacity: pool?.started === true ? this.options.workers.maxQueue : 0,
    });
    if (this.link !== null) stats.bridge = this.link.stats();
    return stats;
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
    this.closed = true;
    this.closeHooks.run();
    this.closing ??= this.shutdown(timeoutMs);
    return this.closing;
  }

  /**
   * Bridges this bus to other processes: local emits of exported types are published (the bridge
   * is one more delivery target of such an emit, so a failed publish shows in its EmitResult as a
   * failure with code EBUS_TRANSPORT), and remote events are dispatched here exactly as local ones,
   * never published again. One bridge at a time; `close()` closes it too.
   *
   * @throws (rejects) BusClosedError, AlreadyBridgedError while another bridge is open, TransportError
   * @example
   * ```ts
   * import { NatsTransport } from "@neurectomy/event-bus/nats";
   * const bridge = await bus.bridge(new NatsTransport({ servers: "127.0.0.1:4222", prefix: "neuro", stream: "NEURO" }));
   * ```
   */
  async bridge(transport: BusTransport): Promise<Bridge> {
    if (this.closed) throw new BusClosedError("cannot bridge: the event bus is closed");
    if (this.link !== null && this.link.stats().state !== "closed") throw new AlreadyBridgedError();
    if (transport === null || typeof transport !== "object" || typeof transport.attach !== "function") {
      throw new InvalidOptionsError("bridge() needs a transport, such as new NatsTransport({...})");
    }
    const host: BridgeHost = {
      nodeId: this.nodeId,
      logger: this.logger,
      dispatchRemote: (event) => this.dispatchRemote(event),
      reportError: (error) => this.reporter.report(error, null),
    };
    const link = await transport.attach(host);
    if (this.closed) {
      await link.close();
      throw new BusClosedError("the event bus was closed while the bridge was connecting");
    }
    this.link = link;
    return bridgeHandle(link);
  }

  private dispatchRemote(event: Event): Promise<EmitResult> {
    // The schemas defined for the type apply: a remote event that breaks one rejects.
    return this.checkedEmit(event, true);
  }

  /** Logs at `level` if the logger has it; a logger that throws never breaks the bus. */
  private log(level: "info" | "debug", obj: object, msg: string): void {
    try {
      this.logger?.[level]?.(obj, msg);
    } catch {
      // The logger's own failure is not the emitter's: the operation it described went on.
    }
  }

  /**
   * Emits the events an offloaded handler sent with ctx.emit, in order, each on its own and not
   * awaited, `depth` levels deep (one below the event whose handler sent them, so a worker
   * handler that answers its own type ends at maxNesting). One refused by a schema, the nesting
   * limit or a closed bus is reported and counted as dropped; the others still go.
   */
  private emitFollowUps(wires: readonly ThreadEvent[], depth: number): void {
    let dropped = 0;
    for (const wire of wires) {
      const event = fromThreadEvent(wire);
      const refusal = this.closed
        ? new BusClosedError(`follow-up ${event.eventType} (${event.eventId}) of an offloaded handler dropped: the event bus is closed`)
        : depth >= this.options.maxNesting
          ? new RecursionLimitError(this.options.maxNesting, event.eventType)
          : (this.schemas?.check(event) ?? null);
      if (refusal !== null) {
        this.reporter.report(refusal, null);
        dropped++;
        continue;
      }
      const saved = this.depth;
      this.depth = depth;
      try {
        void this.emitChecked(event, false);
      } finally {
        this.depth = saved;
      }
    }
    this.stats?.countFollowUps(wires.length - dropped, dropped);
  }

  private recursionLimit(event: Event): Promise<EmitResult> {
    const error = new RecursionLimitError(this.options.maxNesting, event.eventType);
    this.reporter.report(error, null);
    const rejected = Promise.reject(error);
    // The handler that re-emitted may not await: keep the rejection from crashing the process.
    rejected.catch(() => undefined);
    return rejected;
  }

  private async shutdown(timeoutMs: number | undefined): Promise<void> {
    // Stops remote intake now; resolves once what it took in has settled and been acked.
    const bridgeClosed = this.link?.close();
    await this.runner.drain(timeoutMs);
    await bridgeClosed;
    await this.runner.offloaded?.close();
  }

  // ---- typed API: schemas, waiting, streaming, disposable subscriptions, metrics ---------------
  // Each is taught with examples in docs/typescript.md (metrics in docs/stats-and-metrics.md).

  /** Payload schemas by event type; null until the first define(), so emit pays one null check. */
  private schemas: SchemaRegistry | null = null;
  private readonly closeHooks = new CloseHooks();

  /**
   * Validates the `data` of every event of `type` at `emit` (and `emitMany`) with a zod schema:
   * an event that fails rejects its emit with InvalidEventError (code `EBUS_INVALID_EVENT`, the
   * zod issues as `cause`) before anything is dispatched, stored in history or counted. The data
   * is checked, not transformed. Defining a type again replaces its schema.
   *
   * @throws InvalidEventError for an invalid type, InvalidOptionsError when `schema` is not a zod schema.
   */
  define<K extends keyof M & string>(type: K, schema: PayloadSchema<PayloadOf<M, K>>): this {
    (this.schemas ??= new SchemaRegistry()).define(type, schema);
    return this;
  }

  /** `define` for each entry of a map of event type to schema, such as `seedSchemas`. */
  defineAll(schemas: { [K in keyof M & string]?: PayloadSchema<PayloadOf<M, K>> }): this {
    for (const [type, schema] of Object.entries(schemas)) if (schema !== undefined) (this.schemas ??= new SchemaRegistry()).define(type, schema);
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
    const invalid = this.schemas?.check(event) ?? null;
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
  stream<E extends Event = Event, const P extends string = string>(pattern: PatternArg<M, P>, options?: StreamOptions): EventStream<HandledEvent<M, P, E>> {
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
