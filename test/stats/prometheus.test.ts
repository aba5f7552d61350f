/**
 * Metrics and logging (src/stats/prometheus.ts, the bus's logger option): metrics() in the
 * Prometheus text format, parsed back and checked against getStats (counters, per-type counts,
 * gauges, the latency histogram, prefixes, buckets, the bridge's section), its options refused
 * with EBUS_INVALID_OPTIONS; a pino-compatible logger gets each level, and the bus is silent by default.
 */
import { describe, expect, it, vi } from "vitest";
import { DEFAULT_METRICS_BUCKETS, Event, InvalidOptionsError, type Logger } from "../../src/index.js";
import { useBuses } from "../support/buses.js";

const newBus = useBuses();

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A small parser of the Prometheus text format (0.0.4): samples, and the TYPE of each family. */
function parseMetrics(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type !== null) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith("# HELP ")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    const raw = m[3]!;
    samples.push({ name: m[1]!, labels, value: raw === "+Inf" ? Infinity : Number(raw) });
  }
  return { samples, types };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe("metrics(): Prometheus text exposition", () => {
  it("exposes counters, per-type counts, outcomes, gauges and the latency histogram with the bus's values", async () => {
    const bus = newBus({ stats: { sampleEvery: 1 }, onError: () => undefined });
    bus.subscribe("task.*", () => undefined);
    bus.subscribe("task.failed", () => {
      throw new Error("boom");
    });
    bus.subscribe("agent.*", () => undefined, { filter: () => false });
    await bus.emit(new Event("task.completed", "w", {}));
    await bus.emit(new Event("task.failed", "w", {}));
    await bus.emit(new Event("agent.heartbeat", "w", {}));
    await bus.emit(new Event('odd."type\\x', "w", {}));

    const text = bus.metrics();
    expect(text.endsWith("\n")).toBe(true);
    const { samples, types } = parseMetrics(text);
    const stats = bus.getStats();

    expect(types.get("neurobus_events_emitted_total")).toBe("counter");
    expect(value(samples, "neurobus_events_emitted_total")).toBe(4);
    expect(types.get("neurobus_events_by_type_total")).toBe("counter");
    expect(value(samples, "neurobus_events_by_type_total", { event_type: "task.completed" })).toBe(1);
    expect(value(samples, "neurobus_events_by_type_total", { event_type: 'odd."type\\x' })).toBe(1);
    expect(value(samples, "neurobus_deliveries_total", { outcome: "delivered" })).toBe(stats.delivered);
    expect(value(samples, "neurobus_deliveries_total", { outcome: "failed" })).toBe(1);
    expect(value(samples, "neurobus_deliveries_total", { outcome: "filtered" })).toBe(1);
    expect(types.get("neurobus_subscriptions")).toBe("gauge");
    expect(value(samples, "neurobus_subscriptions")).toBe(3);
    expect(value(samples, "neurobus_history_size")).toBe(4);
    expect(value(samples, "neurobus_worker_threads")).toBe(0);
    expect(value(samples, "neurobus_worker_events_total", { outcome: "completed" })).toBe(0);

    // Histogram: cumulative buckets in increasing `le`, +Inf = _count = the timed deliveries.
    expect(types.get("neurobus_handler_duration_seconds")).toBe("histogram");
    const buckets = samples.filter((s) => s.name === "neurobus_handler_duration_seconds_bucket");
    const bounds = buckets.map((b) => (b.labels["le"] === "+Inf" ? Infinity : Number(b.labels["le"])));
    expect(bounds.every((b, i) => i === 0 || b > bounds[i - 1]!)).toBe(true);
    expect(buckets.every((b, i) => i === 0 || b.value >= buckets[i - 1]!.value)).toBe(true);
    const count = value(samples, "neurobus_handler_duration_seconds_count");
    expect(count).toBe(stats.latency.samples);
    expect(count).toBe(3); // sampleEvery 1: task.* twice and the throwing handler once; a filtered delivery is not timed
    expect(buckets.at(-1)).toMatchObject({ labels: { le: "+Inf" }, value: count });
    expect(value(samples, "neurobus_handler_duration_seconds_sum")).toBeGreaterThan(0);
    await bus.close();
  });

  it("counts are zero with stats off, and a prefix renames every family", async () => {
    const bus = newBus({ stats: false });
    await bus.emit(new Event("a.b", "w", {}));
    const { samples } = parseMetrics(bus.metrics({ prefix: "app_" }));
    expect(samples.every((s) => s.name.startsWith("app_"))).toBe(true);
    expect(value(samples, "app_events_emitted_total")).toBe(0);
    expect(value(samples, "app_handler_duration_seconds_count")).toBe(0);
    await bus.close();
  });

  it("event types that differ only in lone surrogates stay distinct series once encoded as UTF-8", async () => {
    const bus = newBus();
    for (const type of ["a.\uD800", "a.\uDC00", "a.\uFFFD", "a.\uD83D\uDE00"]) await bus.emit(new Event(type, "s"));
    // What a scraper receives: the text as UTF-8 bytes, decoded again.
    const received = Buffer.from(bus.metrics(), "utf8").toString("utf8");
    const types = parseMetrics(received)
      .samples.filter((s) => s.name === "neurobus_events_by_type_total")
      .map((s) => s.labels["event_type"]);
    expect(new Set(types).size).toBe(4);
    // A type holding the text a lone surrogate is written as: one series, the counts summed.
    await bus.emit(new Event("a.\\uD800", "s"));
    const lines = bus
      .metrics()
      .split("\n")
      .filter((l) => l.startsWith('neurobus_events_by_type_total{event_type="a.\\\\uD800"}'));
    expect(lines).toEqual(['neurobus_events_by_type_total{event_type="a.\\\\uD800"} 2']);
    expect(types).toEqual(expect.arrayContaining(["a.\\uD800", "a.\\uDC00", "a.\uFFFD", "a.\uD83D\uDE00"]));
  });

  it("the prefix is prepended as is: end it in '_'", async () => {
    const bus = newBus();
    const { samples } = parseMetrics(bus.metrics({ prefix: "myapp" }));
    expect(value(samples, "myappevents_emitted_total")).toBe(0);
    expect(value(samples, "myapp_events_emitted_total")).toBeUndefined();
    await bus.close();
  });

  it("refuses bad options with a BusError (EBUS_INVALID_OPTIONS), never a TypeError or silence", async () => {
    const bus = newBus();
    const cases: [unknown, RegExp][] = [
      [{ prefix: "bad prefix!" }, /prefix: must be empty or a valid start of a Prometheus name/],
      [{ prefx: "a_" }, /Unrecognized key: "prefx"/],
      ["a_", /expected object, received string/],
      [{ buckets: [] }, /buckets/],
      [{ buckets: [0.1, 0.01] }, /buckets: must be strictly ascending/],
      [{ buckets: [0, 1] }, /buckets\.0/],
    ];
    for (const [options, message] of cases) {
      let caught: unknown;
      try {
        bus.metrics(options as never);
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(options)).toBeInstanceOf(InvalidOptionsError);
      expect(caught).toMatchObject({ code: "EBUS_INVALID_OPTIONS", message: expect.stringMatching(message) });
    }
    await bus.close();
  });

  it("the handler-duration histogram has the few default buckets, and takes others", async () => {
    const bus = newBus({ stats: { sampleEvery: 1 } });
    bus.subscribe("a.*", () => undefined);
    for (let i = 0; i < 50; i++) await bus.emit(new Event("a.b", "w", {}));
    const bucketsOf = (text: string) =>
      parseMetrics(text).samples.filter((s) => s.name === "neurobus_handler_duration_seconds_bucket");
    const defaults = bucketsOf(bus.metrics());
    expect(defaults.map((b) => b.labels["le"])).toEqual([...DEFAULT_METRICS_BUCKETS.map(String), "+Inf"]);
    expect(defaults.length).toBeLessThanOrEqual(20);
    expect(defaults.at(-1)!.value).toBe(50);

    const custom = bucketsOf(bus.metrics({ buckets: [0.5, 2] }));
    expect(custom.map((b) => b.labels["le"])).toEqual(["0.5", "2", "+Inf"]);
    // A no-op handler takes far less than half a second: every sample is under the first bound.
    expect(custom.map((b) => b.value)).toEqual([50, 50, 50]);
    await bus.close();
  });

  it("places samples on the right side of a bound: handlers of ~20 ms land between 10 ms and 50 ms", async () => {
    const bus = newBus({ stats: { sampleEvery: 1 } });
    bus.subscribe("slow.*", () => {
      const end = performance.now() + 20;
      while (performance.now() < end); // a synchronous handler of 20 ms
    });
    for (let i = 0; i < 3; i++) await bus.emit(new Event("slow.x", "w", {}));
    const samples = parseMetrics(bus.metrics({ buckets: [0.01, 0.05] })).samples.filter(
      (s) => s.name === "neurobus_handler_duration_seconds_bucket",
    );
    expect(samples.map((b) => b.value)).toEqual([0, 3, 3]);
    await bus.close();
  });
});

describe("logger option", () => {
  /** The shape of a pino logger: level methods taking (obj, msg), child(), level. */
  function pinoLike(): Logger & {
    lines: { level: string; obj: unknown; msg: string | undefined }[];
    child: () => unknown;
    level: string;
  } {
    const lines: { level: string; obj: unknown; msg: string | undefined }[] = [];
    const at = (level: string) => (obj: unknown, msg?: string) => void lines.push({ level, obj, msg });
    return {
      lines,
      level: "debug",
      fatal: at("fatal"),
      error: at("error"),
      warn: at("warn"),
      info: at("info"),
      debug: at("debug"),
      trace: at("trace"),
      child: () => undefined,
    } as never;
  }

  it("accepts a pino-compatible logger: subscribe and unsubscribe at info, emit at debug, handler errors at error", async () => {
    const logger = pinoLike();
    const bus = newBus({ logger });
    const id = bus.subscribe("a.*", () => {
      throw new Error("boom");
    });
    await bus.emit(new Event("a.b", "w", {}));
    bus.unsubscribe(id);
    expect(logger.lines.map((l) => [l.level, l.msg])).toEqual([
      ["info", "subscribed"],
      ["debug", "emit"],
      ["error", expect.stringContaining("boom")],
      ["info", "unsubscribed"],
    ]);
    expect(logger.lines[2]!.obj).toMatchObject({ code: "EBUS_HANDLER_FAILED", subscriptionId: id });
    await bus.close();
  });

  it("accepts a logger with only error(), and is silent by default", async () => {
    const bus = newBus({ logger: { error: () => undefined } });
    bus.subscribe("a.*", () => undefined);
    await bus.emit(new Event("a.b", "w", {}));
    await bus.close();

    const writes = [vi.spyOn(process.stdout, "write"), vi.spyOn(process.stderr, "write")];
    const logs = (["log", "info", "debug", "warn", "error"] as const).map((m) => vi.spyOn(console, m));
    try {
      const quiet = newBus();
      const id = quiet.subscribe("a.*", () => undefined);
      await quiet.emit(new Event("a.b", "w", {}));
      const stream = quiet.stream("a.*");
      await quiet.emit(new Event("a.c", "w", {}));
      for await (const _ of stream) break;
      quiet.unsubscribe(id);
      await quiet.close();
      for (const spy of [...writes, ...logs]) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of [...writes, ...logs]) spy.mockRestore();
    }
    expect(() => newBus({ logger: { info: () => undefined } as never })).toThrow(
      expect.objectContaining({ code: "EBUS_INVALID_OPTIONS" }) as Error,
    );
  });
});

describe("renderPrometheus", () => {
  it("adds the bridge's counters and state once the bus is bridged", async () => {
    const { renderPrometheus } = await import("../../src/stats/prometheus.js");
    const bus = newBus();
    const stats = {
      ...bus.getStats(),
      bridge: {
        state: "connected" as const,
        published: 5,
        received: 7,
        duplicates: 1,
        invalid: 2,
        dropped: 3,
        retries: 4,
      },
    };
    const { samples, types } = parseMetrics(renderPrometheus(stats, null));
    expect(value(samples, "neurobus_bridge_messages_total", { direction: "published" })).toBe(5);
    expect(value(samples, "neurobus_bridge_messages_total", { direction: "received" })).toBe(7);
    expect(value(samples, "neurobus_bridge_duplicates_total")).toBe(1);
    expect(value(samples, "neurobus_bridge_invalid_total")).toBe(2);
    expect(value(samples, "neurobus_bridge_dropped_total")).toBe(3);
    expect(value(samples, "neurobus_bridge_retries_total")).toBe(4);
    expect(types.get("neurobus_bridge_dropped_total")).toBe("counter");
    expect(value(samples, "neurobus_bridge_state", { state: "connected" })).toBe(1);
    expect(types.get("neurobus_bridge_state")).toBe("gauge");
    expect(parseMetrics(bus.metrics()).samples.some((s) => s.name.startsWith("neurobus_bridge"))).toBe(false);
    // A transport written before `dropped` and `retries` existed: zeros, never "undefined".
    const older = {
      ...stats,
      bridge: { state: "connected" as const, published: 1, received: 1, duplicates: 0, invalid: 0 },
    };
    const text = renderPrometheus(older as never, null);
    expect(text).not.toMatch(/undefined|NaN/);
    expect(value(parseMetrics(text).samples, "neurobus_bridge_dropped_total")).toBe(0);
    expect(value(parseMetrics(text).samples, "neurobus_bridge_retries_total")).toBe(0);
    await bus.close();
  });
});
