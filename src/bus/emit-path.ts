/**
 * EmitPath: an emit past the bus's checks (docs/architecture.md: the path of an emit). dispatch()
 * enforces the nesting limit, pushes the event to history, counts it, matches its type in the
 * trie and hands the matching subscriptions, and the bridge unless the event came from it, to the
 * DeliveryRunner, its own. It also emits the follow-ups that offloaded handlers send with ctx.emit.
 */
import { BusClosedError, RecursionLimitError } from "../errors.js";
import type { Event } from "../event.js";
import type { DispatcherOptions } from "../offload/dispatcher.js";
import { fromThreadEvent, type ThreadEvent } from "../offload/protocol.js";
import type { MainStatsWriter } from "../stats/main-writer.js";
import type { BridgeLink } from "./bridge.js";
import { DeliveryRunner } from "./delivery.js";
import { EmitState, type EmitResult } from "./emit-state.js";
import type { History } from "./history.js";
import type { Logger } from "./options.js";
import type { SubscriptionRegistry } from "./registry.js";
import { logSafely, type ErrorReporter } from "./reporter.js";
import { SchemaRegistry } from "./schemas.js";

export interface EmitPathInit {
  maxNesting: number;
  history: History<Event>;
  stats: MainStatsWriter | null;
  subscriptions: SubscriptionRegistry;
  reporter: ErrorReporter;
  logger: Logger | undefined;
  isClosed: () => boolean;
  /**
   * The runner's: time one delivery in this many (0 never), the worker pool's options, and how a `once`
   * subscription is removed.
   */
  sampleEvery: number;
  workers: DispatcherOptions;
  unsubscribe: (subscriptionId: string) => boolean;
}

export class EmitPath {
  /** Payload schemas by event type; null until the first define(), so emit pays one null check. */
  schemas: SchemaRegistry | null = null;
  /** The bridge to other processes (see EventBus.bridge); it stays after closing, for getStats(). */
  link: BridgeLink | null = null;
  /** Runs the deliveries of each emit and keeps its books. */
  readonly runner: DeliveryRunner;
  /** Emits the current one is nested in (synchronous re-emits from handlers). */
  private depth = 0;
  private readonly maxNesting: number;
  private readonly history: History<Event>;
  private readonly stats: MainStatsWriter | null;
  private readonly subscriptions: SubscriptionRegistry;
  private readonly reporter: ErrorReporter;
  private readonly logger: Logger | undefined;
  private readonly isClosed: () => boolean;

  constructor(init: EmitPathInit) {
    this.maxNesting = init.maxNesting;
    this.history = init.history;
    this.stats = init.stats;
    this.subscriptions = init.subscriptions;
    this.reporter = init.reporter;
    this.logger = init.logger;
    this.isClosed = init.isClosed;
    const followUps = (events: ThreadEvent[], depth: number): void => this.emitFollowUps(events, depth);
    this.runner = new DeliveryRunner(
      init.stats,
      init.reporter,
      init.sampleEvery,
      init.workers,
      init.unsubscribe,
      followUps,
    );
  }

  /**
   * Sets (or replaces) the payload schema of `type` (EventBus.define). @throws InvalidEventError,
   * InvalidOptionsError
   */
  define(type: string, schema: unknown): void {
    (this.schemas ??= new SchemaRegistry()).define(type, schema);
  }

  /** define() for every entry, or for none when one is refused. @throws as define() */
  defineAll(entries: readonly (readonly [string, unknown])[]): void {
    for (const [type, schema] of entries) SchemaRegistry.assertDefinition(type, schema);
    for (const [type, schema] of entries) this.define(type, schema);
  }

  /** An emit whose bus, argument and schema were checked; `remote`: it came from the bridge. */
  dispatch(event: Event, remote: boolean): Promise<EmitResult> {
    if (this.depth >= this.maxNesting) return this.recursionLimit(event);
    this.history.push(event);
    this.stats?.countEmit(event.eventType);
    if (this.logger !== undefined)
      logSafely(this.logger, "debug", { eventId: event.eventId, eventType: event.eventType }, "emit");
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
   * Emits the events an offloaded handler sent with ctx.emit, in order, each on its own and not
   * awaited, `depth` levels deep (one below the event whose handler sent them, so a worker
   * handler that answers its own type ends at maxNesting). One refused by a schema, the nesting
   * limit or a closed bus is reported and counted as dropped; the others still go.
   */
  emitFollowUps(wires: readonly ThreadEvent[], depth: number): void {
    let dropped = 0;
    for (const wire of wires) {
      const event = fromThreadEvent(wire);
      const refusal = this.isClosed()
        ? new BusClosedError(
            `follow-up ${event.eventType} (${event.eventId}) of an offloaded handler dropped: the event bus is closed`,
          )
        : depth >= this.maxNesting
          ? new RecursionLimitError(this.maxNesting, event.eventType)
          : (this.schemas?.check(event) ?? null);
      if (refusal !== null) {
        this.reporter.report(refusal, null);
        dropped++;
        continue;
      }
      const saved = this.depth;
      this.depth = depth;
      try {
        void this.dispatch(event, false);
      } finally {
        this.depth = saved;
      }
    }
    this.stats?.countFollowUps(wires.length - dropped, dropped);
  }

  private recursionLimit(event: Event): Promise<EmitResult> {
    const error = new RecursionLimitError(this.maxNesting, event.eventType);
    this.reporter.report(error, null);
    const rejected = Promise.reject(error);
    // The handler that re-emitted may not await: keep the rejection from crashing the process.
    rejected.catch(() => undefined);
    return rejected;
  }
}
