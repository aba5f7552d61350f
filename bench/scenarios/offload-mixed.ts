/**
 * Handlers of uneven cost, offloaded through the bus against one piscina.run() per event (which
 * never lets a light event wait behind a heavy one in a batch): one subscription whose handler
 * does ~4 ms of CPU for 1 event in 20 and nothing for the rest, and a ~1 ms CPU handler. Both
 * sides keep a window of emits in flight and await it, round after round, in turn.
 */
import { Piscina } from "piscina";
import { Event, EventBus, offload } from "../../src/index.js";
import { median, type RunConfig } from "../harness.js";
import type { Goal, ScenarioOutput } from "../registry.js";

const MIXED = new URL("../workers/mixed.js", import.meta.url);
const CPU = new URL("../workers/cpu.js", import.meta.url);
const THREADS = 2;
const WINDOW = 128;

interface Round {
  ms: number;
  /** p99 emit-to-done latency of the light events, ms. */
  lightP99: number;
}

function p99(values: number[]): number {
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.floor(values.length * 0.99))] ?? 0;
}

/** Runs every event through `send` in windows; the latency of each event whose `light` is true. */
async function drive(events: readonly Event[], send: (e: Event) => Promise<unknown>): Promise<Round> {
  const light: number[] = [];
  const start = performance.now();
  for (let i = 0; i < events.length; i += WINDOW) {
    await Promise.all(
      events.slice(i, i + WINDOW).map((e) => {
        const sent = performance.now();
        return send(e).then(() => {
          if (e.data["heavy"] !== true) light.push(performance.now() - sent);
        });
      }),
    );
  }
  return { ms: performance.now() - start, lightP99: p99(light) };
}

const range = (values: number[], digits: number, unit = ""): string =>
  `${median(values).toFixed(digits)}${unit} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;

async function compare(
  events: readonly Event[],
  module: URL,
  exportName: string,
  rounds: number,
): Promise<{ bus: Round[]; piscina: Round[] }> {
  const bus = new EventBus({ workers: { maxThreads: THREADS, minThreads: THREADS, maxQueue: 4 * WINDOW } });
  bus.subscribe(events[0]!.eventType, offload(module, exportName));
  const pool = new Piscina({ filename: module.href, maxThreads: THREADS, minThreads: THREADS });
  const out = { bus: [] as Round[], piscina: [] as Round[] };
  try {
    // Warm-up: threads started, modules loaded, the bus has learned the handler's cost.
    await drive(events.slice(0, 2 * WINDOW), (e) => bus.emit(e));
    await drive(events.slice(0, 2 * WINDOW), (e) => pool.run(e.toDict()));
    for (let round = 0; round < rounds; round++) {
      out.bus.push(await drive(events, (e) => bus.emit(e)));
      out.piscina.push(await drive(events, (e) => pool.run(e.toDict())));
    }
  } finally {
    await bus.close();
    await pool.destroy();
  }
  return out;
}

export async function run(config: RunConfig): Promise<ScenarioOutput> {
  const rounds = config.quick ? 2 : 5;
  const n = config.quick ? 400 : 4000;
  const mixed = Array.from({ length: n }, (_, i) => new Event("bench.mixed", "bench", { i, heavy: i % 20 === 7 }));
  const cpu = Array.from({ length: config.quick ? 64 : 1000 }, (_, i) => new Event("bench.cpu", "bench", { i, ms: 1 }));
  const m = await compare(mixed, MIXED, "handle", rounds);
  const c = await compare(cpu, CPU, "spin", rounds);
  const timeRatio = m.bus.map((r, i) => r.ms / m.piscina[i]!.ms);
  const p99Ratio = m.bus.map((r, i) => r.lightP99 / m.piscina[i]!.lightP99);
  const cpuRatio = c.bus.map((r, i) => c.piscina[i]!.ms / r.ms);
  const goals: Goal[] = [
    {
      goal: "Mixed costs: the bus finishes within 1.1x the time of one piscina.run() per event",
      met: median(timeRatio) <= 1.1,
      measured: `${range(timeRatio, 2, "x")}`,
    },
    {
      goal: "Mixed costs: light events' p99 emit-to-done no worse than piscina.run()'s",
      met: median(p99Ratio) <= 1,
      measured: `${range(p99Ratio, 2, "x")}`,
    },
    {
      goal: "~1 ms CPU handler: the bus at least as fast as one piscina.run() per event",
      met: median(cpuRatio) >= 1,
      measured: `${range(cpuRatio, 2, "x")}`,
    },
  ];
  const row = (name: string, bus: Round[], piscina: Round[]): string[] => [
    `| ${name}, bus offload() | ${range(
      bus.map((r) => r.ms),
      0,
    )} | ${range(
      bus.map((r) => r.lightP99),
      2,
    )} |`,
    `| ${name}, piscina.run() per event | ${range(
      piscina.map((r) => r.ms),
      0,
    )} | ${range(
      piscina.map((r) => r.lightP99),
      2,
    )} |`,
  ];
  return {
    tables: [],
    text: [
      [
        `### Uneven handler costs, ${THREADS} threads: bus against one piscina.run() per event (median and range of ${rounds} rounds)`,
        "",
        "| workload | total ms | light events' p99 emit-to-done, ms |",
        "| --- | ---: | ---: |",
        ...row(`mixed: ${n} events, 1 in 20 ~4 ms of CPU`, m.bus, m.piscina),
        ...row(`~1 ms CPU each: ${cpu.length} events`, c.bus, c.piscina),
        "",
        `- Windows of ${WINDOW} emits in flight, awaited window by window. Per round: mixed bus/Piscina time ${range(timeRatio, 2, "x")}, light p99 ${range(p99Ratio, 2, "x")}; CPU handler Piscina/bus time ${range(cpuRatio, 2, "x")} (above 1x the bus is faster).`,
      ].join("\n"),
    ],
    goals,
    data: { mixed: m, cpu: c },
  };
}
