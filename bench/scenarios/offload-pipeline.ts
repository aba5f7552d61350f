/**
 * A two-stage pipeline across threads: main → worker → main. An offloaded handler of
 * `bench.stage1` announces each event with ctx.emit("bench.stage2"), which an in-process handler
 * takes on the main thread. Events/s through both stages, and the latency from the first emit to
 * the second stage's handler.
 */
import { Event, EventBus, offload } from "../../src/index.js";
import { formatRate, median, type RunConfig } from "../harness.js";
import type { ScenarioOutput } from "../registry.js";

const MIXED = new URL("../workers/mixed.js", import.meta.url);
const THREADS = 2;
const WINDOW = 1024;

export async function run(config: RunConfig): Promise<ScenarioOutput> {
  const rounds = config.quick ? 2 : 5;
  const n = config.quick ? 8 * WINDOW : 100 * WINDOW;
  const bus = new EventBus({ workers: { maxThreads: THREADS, minThreads: THREADS, maxQueue: 4 * WINDOW } });
  bus.subscribe("bench.stage1", offload(MIXED, "stage"));
  let latencies: number[] = [];
  bus.subscribe("bench.stage2", (e) => {
    latencies.push(performance.now() - (e.data["sent"] as number));
  });
  const rates: number[] = [];
  const p50s: number[] = [];
  const p99s: number[] = [];
  const pass = async (count: number): Promise<number> => {
    const start = performance.now();
    for (let i = 0; i < count; i += WINDOW) {
      const window: Promise<unknown>[] = [];
      for (let k = 0; k < WINDOW; k++)
        window.push(bus.emit(new Event("bench.stage1", "bench", { i: i + k, sent: performance.now() })));
      await Promise.all(window);
    }
    return performance.now() - start;
  };
  try {
    await pass(4 * WINDOW);
    for (let round = 0; round < rounds; round++) {
      latencies = [];
      const ms = await pass(n);
      if (latencies.length !== n) throw new Error(`pipeline lost events: ${latencies.length} of ${n} reached stage 2`);
      latencies.sort((a, b) => a - b);
      rates.push((n / ms) * 1000);
      p50s.push(latencies[Math.floor(n * 0.5)]!);
      p99s.push(latencies[Math.floor(n * 0.99)]!);
    }
  } finally {
    await bus.close();
  }
  const range = (v: number[], f: (x: number) => string): string =>
    `${f(median(v))} (${f(Math.min(...v))}–${f(Math.max(...v))})`;
  const ms = (x: number): string => `${x.toFixed(2)} ms`;
  return {
    tables: [],
    text: [
      [
        `### Pipeline main → worker → main (ctx.emit), ${THREADS} threads (median and range of ${rounds} rounds)`,
        "",
        "| events through both stages/s | stage 1 emit → stage 2 handler, p50 | p99 |",
        "| ---: | ---: | ---: |",
        `| ${range(rates, formatRate)} | ${range(p50s, ms)} | ${range(p99s, ms)} |`,
        "",
        `- ${n} events per round, emitted in windows of ${WINDOW} and awaited; each one's follow-up is emitted before its emit resolves, so every window's stage 2 is done when the window is.`,
      ].join("\n"),
    ],
    data: { rates, p50s, p99s },
  };
}
