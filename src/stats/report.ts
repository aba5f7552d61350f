/**
 * What `getStats()` reports (BusStats and its parts), read by `metrics()` too (prometheus.ts).
 * The bus builds it (bus/queries.ts); stats/ never imports bus/, so the types live here.
 */
import type { LatencyStats } from "./snapshot.js";

/**
 * Worker pool figures, counted in events. All zero before the pool starts.
 *
 * @example
 * ```ts
 * const { threads, inFlight, completed } = bus.getStats().workers;
 * ```
 */
export interface WorkerStats {
  threads: number;
  inFlight: number;
  inFlightPeak: number;
  completed: number;
  failed: number;
  /** Events offloaded handlers emitted with `ctx.emit` that reached the bus. */
  followUps: number;
  /** Follow-ups dropped: of handlers that failed, emitted after their handler settled, or refused by the bus. */
  followUpsDropped: number;
  queueCapacity: number;
}

/**
 * Where a bridge's connection stands; `reconnecting` while the client looks for a server.
 *
 * @example
 * ```ts
 * if (bus.getStats().bridge?.state === "reconnecting") console.warn("NATS is unreachable; emits are buffered");
 * ```
 */
export type BridgeState = "connecting" | "connected" | "reconnecting" | "closing" | "closed";

/**
 * The NATS bridge's figures, once bridged.
 *
 * @example
 * ```ts
 * const bridge = bus.getStats().bridge;
 * if (bridge !== undefined) console.log(bridge.state, bridge.published, bridge.received);
 * ```
 */
export interface BridgeStats {
  state: BridgeState;
  published: number;
  received: number;
  duplicates: number;
  invalid: number;
  /** Core NATS: remote events dropped on arrival because maxInFlight were being handled (each also reported). */
  dropped: number;
  /** Publish tries sent again after a transient failure (no leader, no ack in time, a dropped connection). */
  retries: number;
}

/**
 * What `getStats()` returns: the seed's keys in camelCase, then the bus's own counters.
 * With `stats: false` the counters are all zero.
 *
 * @example
 * ```ts
 * const stats = bus.getStats();
 * console.log(stats.totalEventsEmitted, stats.eventCounts["task.completed"], stats.latency.p99Ms);
 * ```
 */
export interface BusStats {
  totalEventsEmitted: number;
  /** Event type -> count, for the first `stats.typeCapacity` distinct types since the last reset. */
  eventCounts: Record<string, number>;
  /** Events of types past `stats.typeCapacity` (not listed in eventCounts). */
  eventCountsOverflow: number;
  totalSubscriptions: number;
  patterns: string[];
  historySize: number;
  maxHistory: number;
  delivered: number;
  filteredOut: number;
  failed: number;
  /** Asynchronous deliveries started and not yet settled. */
  inFlight: number;
  latency: LatencyStats;
  workers: WorkerStats;
  bridge?: BridgeStats;
}
