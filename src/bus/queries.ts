/**
 * The read side of the bus: history queries, and the BusStats report built from its sources.
 */
import { z } from "zod";
import type { Event } from "../event.js";
import { InvalidOptionsError } from "../errors.js";
import { matchesSegments, parsePattern } from "../pattern/grammar.js";
import type { WorkerDispatcher } from "../offload/dispatcher.js";
import type { MainStatsWriter } from "../stats/main-writer.js";
import type { BusStats } from "../stats/report.js";
import type { LatencyStats } from "../stats/snapshot.js";
import type { BridgeLink } from "./bridge.js";
import type { PendingDelivery } from "./emit-state.js";
import type { History } from "./history.js";
import type { ResolvedOptions } from "./options.js";
import type { SubscriptionRegistry } from "./registry.js";

/**
 * The query of `getHistory`.
 *
 * @example
 * ```ts
 * const lastFailures = bus.getHistory({ pattern: "task.failed", source: "workflow_1", limit: 10 });
 * ```
 */
export interface HistoryQuery {
  /** Keep events matching this pattern (the grammar of subscribe). */
  pattern?: string;
  /** Keep events from this source. */
  source?: string;
  /** Then keep only the last `limit` events. */
  limit?: number;
}

const historyQuerySchema = z.strictObject({
  // parsePattern checks it, with its own error (EBUS_INVALID_PATTERN).
  pattern: z.unknown().optional(),
  source: z.string().optional(),
  limit: z.number().int().nonnegative().optional(),
});

/**
 * The events of `history` that `query` asks for (EventBus.getHistory). @throws InvalidPatternError,
 * InvalidOptionsError
 */
export function queryHistory(history: History<Event>, query: HistoryQuery): Event[] {
  const { keep, limit } = parseHistoryQuery(query);
  return limit === undefined ? history.toArray(keep) : history.last(limit, keep);
}

/** Validates a history query. @throws InvalidPatternError, InvalidOptionsError */
function parseHistoryQuery(query: HistoryQuery): {
  keep: ((e: Event) => boolean) | undefined;
  limit: number | undefined;
} {
  const checked = historyQuerySchema.safeParse(query);
  if (!checked.success) throw InvalidOptionsError.fromIssues("getHistory query", checked.error.issues);
  const { pattern, source, limit } = checked.data;
  const parsed = pattern === undefined ? undefined : parsePattern(pattern);
  let keep: ((e: Event) => boolean) | undefined;
  if (parsed !== undefined || source !== undefined) {
    keep = (e) =>
      (source === undefined || e.source === source) &&
      (parsed === undefined || matchesSegments(parsed, e.eventType.split(".")));
  }
  return { keep, limit };
}

const ZERO_LATENCY: LatencyStats = { samples: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0 };

export interface StatsSources {
  stats: MainStatsWriter | null;
  subscriptions: SubscriptionRegistry;
  history: History<Event>;
  options: Pick<ResolvedOptions, "maxHistory" | "workers">;
  /** The worker pool's dispatcher, once the first delivery was offloaded. */
  pool: WorkerDispatcher<PendingDelivery> | null;
  link: BridgeLink | null;
}

/** What getStats() returns, read from the bus's parts. */
export function buildStats(src: StatsSources): BusStats {
  const { pool, link } = src;
  pool?.publishGauge();
  const c = src.stats?.snapshot();
  return {
    totalEventsEmitted: c?.emitted ?? 0,
    eventCounts: src.stats?.eventCounts() ?? {},
    eventCountsOverflow: src.stats?.overflowCount() ?? 0,
    totalSubscriptions: src.subscriptions.size,
    patterns: src.subscriptions.patterns(),
    historySize: src.history.size,
    maxHistory: src.options.maxHistory,
    delivered: c?.delivered ?? 0,
    filteredOut: c?.filteredOut ?? 0,
    failed: c?.failed ?? 0,
    inFlight: c?.inFlight ?? 0,
    latency: c?.latency ?? { ...ZERO_LATENCY },
    workers: {
      threads: pool?.threads ?? 0,
      inFlight: c?.workerInFlight ?? 0,
      inFlightPeak: c?.workerInFlightPeak ?? 0,
      completed: c?.workerCompleted ?? 0,
      failed: c?.workerFailed ?? 0,
      followUps: c?.followUps ?? 0,
      followUpsDropped: c?.followUpsDropped ?? 0,
      // From the first offloaded delivery on, also while a pool that lost its threads is replaced.
      queueCapacity: pool === null ? 0 : src.options.workers.maxQueue,
    },
    ...(link === null ? {} : { bridge: link.stats() }),
  };
}
