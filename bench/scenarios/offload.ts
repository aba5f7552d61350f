/**
 * Worker offload (issue 3): batching against raw Piscina, a CPU-bound handler offloaded against
 * the same handler inline, the main thread's event-loop delay while they run, and the latency of
 * offloaded deliveries at a fixed offered rate.
 */
import { createHistogram } from "node:perf_hooks";
import { Piscina } from "piscina";
import { Event, EventBus, offload } from "../../src/index.js";
import { DelaySampler, p99Ms } from "../handler/delay.js";
import { MIN_DELAY_SAMPLES } from "../handler/result.js";
import { formatNs, formatRate, measure, type RunConfig, type Table } from "../harness.js";
import type { Goal, ScenarioOutput } from "../registry.js";
import { spin } from "../workers/cpu.js";

const TRIVIAL = new URL("../workers/trivial.js", import.meta.url);
const CPU = new URL("../workers/cpu.js", import.meta.url);
const THREADS = 2;

function events(n: number, type: string, data: Record<string, unknown> = {}): Event[] {
  return Array.from({ length: n }, (_, i) => new Event(type, "bench", { i, ...data }));
}

async function trivialThroughput(config: RunConfig): Promise<Table> {
  const batch = config.quick ? 256 : 1024;
  const pool = new Piscina({ filename: TRIVIAL.href, maxThreads: THREADS, minThreads: THREADS });
  const bus = new EventBus({ workers: { maxThreads: THREADS, minThreads: THREADS, maxQueue: 4096 } });
  bus.subscribe("bench.trivial", offload(TRIVIAL, "handle"));
  const list = events(batch, "bench.trivial");
  const dicts = list.map((e) => e.toDict());
  try {
    return await measure(
      config,
      `Trivial offloaded handler, ${THREADS} threads: events/s`,
      "piscina.run() per event",
      [
        {
          name: "piscina.run() per event",
          library: "piscina",
          batch,
          run: () => Promise.all(dicts.map((d) => pool.run(d))),
        },
        {
          name: "bus.emitMany, offloaded (batched)",
          library: "@neurectomy/event-bus",
          batch,
          run: () => bus.emitMany(list),
        },
      ],
      [`${batch} events per iteration, all in flight at once; the same event dicts cross the thread boundary in both.`],
    );
  } finally {
    await bus.close();
    await pool.destroy();
  }
}

/** emitMany rounds the delay is sampled over: the loop turns once per round (one sample inline). */
const delayRounds = (config: Pick<RunConfig, "quick">): number => (config.quick ? 2 : 32);

interface Delay {
  p99Ns: number;
  samples: number;
}

/** A delay figure with its sample count, or marked as meaning nothing when those are too few. */
function delayCell(d: Delay): string {
  return d.samples < MIN_DELAY_SAMPLES
    ? `${formatNs(d.p99Ns)}: too few samples (${d.samples}) to mean anything`
    : `${formatNs(d.p99Ns)} (${d.samples} samples)`;
}

async function cpuThroughput(config: RunConfig): Promise<{ table: Table; delay: { inline: Delay; offloaded: Delay } }> {
  const batch = config.quick ? 16 : 64;
  const inline = new EventBus();
  inline.subscribe("bench.cpu", spin);
  const offloaded = new EventBus({ workers: { maxThreads: THREADS, minThreads: THREADS } });
  offloaded.subscribe("bench.cpu", offload(CPU, "spin"));
  const list = events(batch, "bench.cpu", { ms: 1 });
  try {
    const table = await measure(
      config,
      `~1 ms CPU-bound handler: events/s, ${THREADS} worker threads vs inline`,
      "inline (main thread)",
      [
        { name: "inline (main thread)", library: "@neurectomy/event-bus", batch, run: () => inline.emitMany(list) },
        { name: "offloaded", library: "@neurectomy/event-bus", batch, run: () => offloaded.emitMany(list) },
      ],
      [`${batch} events per iteration through emitMany. The main thread shares the ${THREADS} cores with the workers.`],
    );
    // Main-thread responsiveness: event-loop delay while the same work runs.
    const delayOf = async (bus: EventBus): Promise<Delay> => {
      const total = createHistogram();
      const sampler = new DelaySampler();
      sampler.start();
      // Yield to the event loop between rounds: the delay is only sampled when the loop turns.
      for (let round = 0; round < delayRounds(config); round++) {
        await bus.emitMany(list);
        await new Promise((resolve) => setImmediate(resolve));
      }
      sampler.stop(total);
      return { p99Ns: p99Ms(total) * 1e6, samples: total.count };
    };
    return { table, delay: { inline: await delayOf(inline), offloaded: await delayOf(offloaded) } };
  } finally {
    await inline.close();
    await offloaded.close();
  }
}

/** The rate of single, un-awaited emits of offloaded events, all in flight (events/s). */
async function maxSingleEmitRate(bus: EventBus, n: number): Promise<number> {
  const start = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => bus.emit(new Event("bench.trivial", "bench", { i }))));
  return (n / (performance.now() - start)) * 1000;
}

/** Emit-to-handler-done latency of offloaded deliveries at 50% of the measured maximum rate. */
async function latencyAtHalfRate(
  config: RunConfig,
): Promise<{ p50: number; p99: number; p999: number; sent: number; rate: number }> {
  const bus = new EventBus({ workers: { maxThreads: THREADS, minThreads: THREADS, maxQueue: 4096 } });
  bus.subscribe("bench.trivial", offload(TRIVIAL, "handle"));
  await bus.emit(new Event("bench.trivial", "warmup"));
  const rate = Math.round((await maxSingleEmitRate(bus, config.quick ? 5000 : 50_000)) / 2);
  const seconds = config.quick ? 0.3 : 2;
  const total = Math.max(1, Math.floor(rate * seconds));
  const latencies: number[] = [];
  const pending: Promise<unknown>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i / rate) * 1000;
    while (performance.now() < due) await new Promise((resolve) => setImmediate(resolve));
    const sent = performance.now();
    pending.push(
      bus.emit(new Event("bench.trivial", "bench", { i })).then(() => latencies.push(performance.now() - sent)),
    );
  }
  await Promise.all(pending);
  await bus.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number): number =>
    (latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0) * 1e6;
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999), sent: total, rate };
}

export async function run(config: RunConfig): Promise<ScenarioOutput> {
  const trivial = await trivialThroughput(config);
  const cpu = await cpuThroughput(config);
  const busRow = trivial.rows.find((r) => r.name.startsWith("bus"))!;
  const cpuRow = cpu.table.rows.find((r) => r.name === "offloaded")!;
  const latency = await latencyAtHalfRate(config);
  const rate = latency.rate;
  const { inline, offloaded } = cpu.delay;
  const delaysKnown = inline.samples >= MIN_DELAY_SAMPLES && offloaded.samples >= MIN_DELAY_SAMPLES;
  const goals: Goal[] = [
    {
      goal: "Trivial offloaded handler: bus ≥ 15x unbatched piscina.run()",
      met: (busRow.ratio ?? 0) >= 15,
      measured: `${(busRow.ratio ?? 0).toFixed(2)}x`,
    },
    {
      goal: "~1 ms CPU handler offloaded ≥ 1.75x inline (2 cores)",
      met: (cpuRow.ratio ?? 0) >= 1.75,
      measured: `${(cpuRow.ratio ?? 0).toFixed(2)}x`,
    },
  ];
  return {
    tables: [trivial, cpu.table],
    text: [
      [
        "### Main-thread event-loop delay while the CPU handlers run (p99 of a 1 ms timer's lateness)",
        "",
        "| handler | event-loop delay p99 |",
        "| --- | ---: |",
        `| inline | ${delayCell(inline)} |`,
        `| offloaded | ${delayCell(offloaded)} |`,
        "",
        delaysKnown
          ? `- inline / offloaded: ${(inline.p99Ns / Math.max(offloaded.p99Ns, 1)).toFixed(1)}x`
          : `- No ratio: a delay measured on fewer than ${MIN_DELAY_SAMPLES} samples (the event loop turned that few times) says nothing. A full run turns it ${delayRounds({ quick: false })} times per handler.`,
      ].join("\n"),
      [
        `### Offloaded delivery latency at ${formatRate(rate)} offered (50% of the maximum rate of single un-awaited emits)`,
        "",
        "| events | p50 | p99 | p99.9 |",
        "| ---: | ---: | ---: | ---: |",
        `| ${latency.sent} | ${formatNs(latency.p50)} | ${formatNs(latency.p99)} | ${formatNs(latency.p999)} |`,
        "",
        "- emit() to EmitResult, i.e. until the worker handler is done; events paced with setImmediate.",
      ].join("\n"),
    ],
    goals,
    data: { delay: cpu.delay, latency, offeredRate: rate },
  };
}
