/**
 * The bus's statistics in the Prometheus text exposition format (version 0.0.4), for a
 * `/metrics` endpoint. Counters end in `_total`; per-type counts and delivery outcomes are
 * labelled counters; handler time is a histogram in seconds.
 *
 * The histogram's `le` buckets are few and fixed (DEFAULT_METRICS_BUCKETS, or the `buckets` option):
 * every bucket is a time series in Prometheus, where 10-20 is the norm, while the shared-memory
 * histogram behind getStats() keeps ~100 fine log buckets for its percentiles. Each fine bucket
 * is counted under the first `le` at or above its midpoint, so a count is placed within one fine
 * bucket (at most 25% wide, see histogram.ts) of its true side of a bound.
 */
import { z } from "zod";
import { InvalidOptionsError } from "../errors.js";
import { bucketBounds } from "./histogram.js";
import type { BusStats } from "./report.js";

/**
 * Options of `bus.metrics()`.
 *
 * @example
 * ```ts
 * bus.metrics({ prefix: "orders_bus_", buckets: [0.001, 0.01, 0.1, 1] });
 * ```
 */
export interface MetricsOptions {
  /**
   * Prepended to every metric name as is, so end it in `_`: `"myapp_"` gives
   * `myapp_events_emitted_total` (`"myapp"` would give `myappevents_emitted_total`).
   * Default `"neurobus_"`; `""` for none.
   */
  prefix?: string;
  /**
   * Upper bounds, in seconds, ascending, of the handler-duration histogram's buckets. Default
   * DEFAULT_METRICS_BUCKETS.
   */
  buckets?: readonly number[];
}

/**
 * The handler-duration histogram's default `le` bounds, in seconds: 1-2.5-5 steps from 10 µs
 * (an in-process handler) to 10 s (a heavy offloaded one), 19 buckets and `+Inf`.
 *
 * @example
 * ```ts
 * bus.metrics({ buckets: DEFAULT_METRICS_BUCKETS.filter((le) => le >= 0.001) }); // drop the sub-millisecond ones
 * ```
 */
export const DEFAULT_METRICS_BUCKETS: readonly number[] = Object.freeze([
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
  5, 10,
]);

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

const metricsOptionsSchema = z.strictObject({
  prefix: z
    .string()
    .refine((p) => p === "" || NAME.test(p), {
      message: 'must be empty or a valid start of a Prometheus name ([a-zA-Z_:][a-zA-Z0-9_:]*), such as "myapp_"',
    })
    .optional(),
  buckets: z
    .array(z.number().positive())
    .min(1)
    .max(64)
    .refine((b) => b.every((v, i) => i === 0 || v > b[i - 1]!), {
      message: "must be strictly ascending (upper bounds in seconds)",
    })
    .optional(),
});

/** Validates metrics()'s options. @throws InvalidOptionsError */
function parseMetricsOptions(input: unknown): { prefix: string; buckets: readonly number[] } {
  const parsed = metricsOptionsSchema.safeParse(input === undefined ? {} : input);
  if (!parsed.success)
    throw InvalidOptionsError.fromIssues(
      "metrics options",
      parsed.error.issues,
      "metrics takes { prefix?: string, buckets?: number[] }",
    );
  return { prefix: parsed.data.prefix ?? "neurobus_", buckets: parsed.data.buckets ?? DEFAULT_METRICS_BUCKETS };
}

/**
 * Cumulative counts per `le` bound (seconds) from the raw fine-bucket counts; the last fine bucket
 * is open-ended (past the histogram's range) and only feeds +Inf.
 */
function cumulativeCounts(fine: readonly number[], bounds: readonly number[]): number[] {
  const perBound = new Array<number>(bounds.length).fill(0);
  let bound = 0;
  for (let b = 0; b < fine.length - 1 && bound < bounds.length; b++) {
    const [low, high] = bucketBounds(b);
    const midSeconds = (low + high) / 2 / 1e9;
    while (bound < bounds.length && bounds[bound]! < midSeconds) bound++;
    if (bound < bounds.length) perBound[bound]! += fine[b]!;
  }
  let sum = 0;
  return perBound.map((c) => (sum += c));
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Label values escape backslash, double quote and newline (the format's only escapes). A lone
 * surrogate (an event type may hold one) has no UTF-8 form: written as is, every one of them
 * becomes U+FFFD on the wire and distinct types would share one series, which Prometheus refuses.
 * It is written as the text `\uD800` (its backslash escaped, as the format wants).
 */
function label(value: string): string {
  return value
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\n/g, "\\n")
    .replace(LONE_SURROGATE, (unit) => `\\\\u${unit.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Numbers as the format writes them: integers plainly, floats in shortest round-trip form. */
function num(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

class Writer {
  readonly lines: string[] = [];
  constructor(private readonly prefix: string) {}

  family(name: string, type: "counter" | "gauge" | "histogram", help: string): string {
    const full = this.prefix + name;
    this.lines.push(`# HELP ${full} ${help}`, `# TYPE ${full} ${type}`);
    return full;
  }

  sample(name: string, value: number, labels?: Record<string, string>): void {
    const pairs =
      labels === undefined
        ? ""
        : `{${Object.entries(labels)
            .map(([k, v]) => `${k}="${label(v)}"`)
            .join(",")}}`;
    this.lines.push(`${name}${pairs} ${num(value)}`);
  }

  /** A sample whose labels are already written (escaped). */
  sampleWritten(name: string, value: number, labels: string): void {
    this.lines.push(`${name}{${labels}} ${num(value)}`);
  }

  single(name: string, type: "counter" | "gauge", help: string, value: number): void {
    this.sample(this.family(name, type, help), value);
  }
}

/**
 * Renders the stats in the Prometheus text format. `latencyBuckets` are the raw (non-cumulative)
 * bucket counts of the stats block, or null when stats are off.
 *
 * @throws InvalidOptionsError for an unknown option, a bad prefix or bad buckets.
 */
export function renderPrometheus(
  stats: BusStats,
  latencyBuckets: readonly number[] | null,
  options: MetricsOptions = {},
): string {
  const { prefix, buckets: bounds } = parseMetricsOptions(options);
  const w = new Writer(prefix);
  w.single("events_emitted_total", "counter", "Events emitted since the last resetStats().", stats.totalEventsEmitted);

  const byType = w.family(
    "events_by_type_total",
    "counter",
    "Events emitted, by event type (the first stats.typeCapacity types).",
  );
  // Keyed by the written label: a type holding a lone surrogate is written as text (see label())
  // that a type holding those characters writes too. Should two types ever meet there, their
  // counts are summed into one series rather than written twice (a scrape with a duplicate series
  // is refused as a whole).
  const perLabel = new Map<string, number>();
  for (const type of Object.keys(stats.eventCounts).sort()) {
    const written = label(type);
    perLabel.set(written, (perLabel.get(written) ?? 0) + stats.eventCounts[type]!);
  }
  for (const [written, count] of perLabel) w.sampleWritten(byType, count, `event_type="${written}"`);
  w.single(
    "events_type_overflow_total",
    "counter",
    "Events whose type did not fit in the per-type table.",
    stats.eventCountsOverflow,
  );

  const deliveries = w.family("deliveries_total", "counter", "Handler deliveries, by outcome.");
  w.sample(deliveries, stats.delivered, { outcome: "delivered" });
  w.sample(deliveries, stats.filteredOut, { outcome: "filtered" });
  w.sample(deliveries, stats.failed, { outcome: "failed" });
  w.single("deliveries_in_flight", "gauge", "Asynchronous deliveries started and not settled.", stats.inFlight);
  w.single("subscriptions", "gauge", "Active subscriptions.", stats.totalSubscriptions);
  w.single("history_size", "gauge", "Events held in history.", stats.historySize);
  w.single("history_capacity", "gauge", "The history ring buffer's capacity (maxHistory).", stats.maxHistory);

  const hist = w.family(
    "handler_duration_seconds",
    "histogram",
    "Handler time of the sampled deliveries (stats.sampleEvery).",
  );
  const fine = latencyBuckets ?? [];
  const cumulative = cumulativeCounts(fine, bounds);
  for (let i = 0; i < bounds.length; i++) w.sample(`${hist}_bucket`, cumulative[i]!, { le: num(bounds[i]!) });
  const count = fine.reduce((a, c) => a + c, 0);
  w.sample(`${hist}_bucket`, count, { le: "+Inf" });
  w.sample(`${hist}_sum`, (stats.latency.meanMs * stats.latency.samples) / 1e3);
  w.sample(`${hist}_count`, count);

  const wk = stats.workers;
  w.single("worker_threads", "gauge", "Threads in the worker pool (0 before it starts).", wk.threads);
  w.single("worker_in_flight", "gauge", "Events in flight to the worker pool.", wk.inFlight);
  w.single(
    "worker_in_flight_peak",
    "gauge",
    "Peak of events in flight to the worker pool since the last reset.",
    wk.inFlightPeak,
  );
  w.single(
    "worker_queue_capacity",
    "gauge",
    "Events the pool admits at most (workers.maxQueue; 0 before it starts).",
    wk.queueCapacity,
  );
  const workerEvents = w.family("worker_events_total", "counter", "Events handled in worker threads, by outcome.");
  w.sample(workerEvents, wk.completed, { outcome: "completed" });
  w.sample(workerEvents, wk.failed, { outcome: "failed" });

  const br = stats.bridge;
  if (br !== undefined) {
    const messages = w.family("bridge_messages_total", "counter", "Events through the NATS bridge, by direction.");
    w.sample(messages, br.published, { direction: "published" });
    w.sample(messages, br.received, { direction: "received" });
    w.single("bridge_duplicates_total", "counter", "Remote events dropped as duplicates.", br.duplicates);
    w.single("bridge_invalid_total", "counter", "Remote messages dropped as invalid.", br.invalid);
    w.single(
      "bridge_dropped_total",
      "counter",
      "Core NATS remote events dropped on arrival past maxInFlight.",
      br.dropped ?? 0, // a transport written before `dropped` existed
    );
    w.single("bridge_retries_total", "counter", "Publish tries sent again after a transient failure.", br.retries ?? 0);
    w.sample(w.family("bridge_state", "gauge", "The bridge's state (1 for the current one)."), 1, { state: br.state });
  }
  return `${w.lines.join("\n")}\n`;
}
