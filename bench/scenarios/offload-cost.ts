/**
 * The main thread's cost per offloaded event: the serial fraction of offload. Whatever the number
 * of cores, the main thread hands at most 1 / (its busy time per event) events per second to the
 * pool, so this figure is the ceiling of offload on any machine.
 *
 * Busy time is measured as the event loop's active time (performance.eventLoopUtilization) over
 * a run of N events, emitted in windows of 1,024 and awaited window by window, as a user would.
 * The events are made before the clock starts (making an Event costs more than emitting it, and
 * is the same for every path). Modes take turns, round after round.
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { Piscina } from "piscina";
import { Event, EventBus, offload } from "../../src/index.js";
import { formatRate, median, type RunConfig } from "../harness.js";
import type { Goal, ScenarioOutput } from "../registry.js";

const TRIVIAL = new URL("../workers/trivial.js", import.meta.url);
const THREADS = 2;
const WINDOW = 1024;
const RAW_BATCH = 64;

interface Mode {
  name: string;
  /** Events per measured run. */
  events: number;
  /** Emits one window of events and resolves when all are done. */
  window(events: readonly Event[], dicts: readonly object[]): Promise<unknown>;
}

interface Figures {
  usPerEvent: number[];
  /** Of usPerEvent, the time the main thread was running on a core (Linux only). */
  cpuUsPerEvent: number[];
  eventsPerSec: number[];
}

/**
 * Milliseconds the main thread has run on a core (Linux: /proc/<pid>/task/<pid>/schedstat), or
 * null elsewhere. Event-loop utilization counts as busy the time the loop's thread is in
 * JavaScript, including time it waits for a core while another thread (a worker, on a machine
 * with few cores) runs: this tells the two apart.
 */
function mainThreadCpuMs(): number | null {
  try {
    return Number(readFileSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, "utf8").split(" ")[0]) / 1e6;
  } catch {
    return null;
  }
}

async function runOnce(
  mode: Mode,
  events: readonly Event[],
  dicts: readonly object[],
): Promise<{ us: number; cpuUs: number | null; rate: number }> {
  const before = performance.eventLoopUtilization();
  const cpuBefore = mainThreadCpuMs();
  const start = performance.now();
  for (let sent = 0; sent < mode.events; sent += WINDOW) await mode.window(events, dicts);
  const elapsed = performance.now() - start;
  const cpuAfter = mainThreadCpuMs();
  const elu = performance.eventLoopUtilization(before);
  const n = Math.ceil(mode.events / WINDOW) * WINDOW;
  const cpuUs = cpuBefore === null || cpuAfter === null ? null : ((cpuAfter - cpuBefore) * 1000) / n;
  return { us: (elu.active * 1000) / n, cpuUs, rate: (n / elapsed) * 1000 };
}

const spread = (values: number[], digits: number): string =>
  `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;

export async function run(config: RunConfig): Promise<ScenarioOutput> {
  const rounds = config.quick ? 2 : 6;
  const n = config.quick ? 20 * WINDOW : 200 * WINDOW;
  const events = Array.from({ length: WINDOW }, (_, i) => new Event("bench.trivial", "bench", { i }));
  const dicts = events.map((e) => e.toDict());

  const inProcess = new EventBus();
  inProcess.subscribe("bench.trivial", () => {});
  const bus = new EventBus({ workers: { maxThreads: THREADS, minThreads: THREADS, maxQueue: 4 * WINDOW } });
  bus.subscribe("bench.trivial", offload(TRIVIAL, "handle"));
  const pool = new Piscina({ filename: TRIVIAL.href, maxThreads: THREADS, minThreads: THREADS });

  const modes: Mode[] = [
    {
      name: "in-process delivery, sync handler",
      events: n,
      window: (list) => Promise.all(list.map((e) => inProcess.emit(e))),
    },
    { name: "bus offload(), awaited emits", events: n, window: (list) => Promise.all(list.map((e) => bus.emit(e))) },
    {
      name: `raw piscina.run(), batches of ${RAW_BATCH} plain objects`,
      events: n,
      window: (_, list) => {
        const runs: Promise<unknown>[] = [];
        for (let i = 0; i < list.length; i += RAW_BATCH) runs.push(pool.run(list.slice(i, i + RAW_BATCH)));
        return Promise.all(runs);
      },
    },
    {
      name: "raw piscina.run() per event",
      events: Math.max(WINDOW, n / 10),
      window: (_, list) => Promise.all(list.map((d) => pool.run(d))),
    },
  ];
  const figures = new Map<Mode, Figures>(
    modes.map((m) => [m, { usPerEvent: [], cpuUsPerEvent: [], eventsPerSec: [] }]),
  );
  try {
    for (const mode of modes) await runOnce({ ...mode, events: 4 * WINDOW }, events, dicts); // warm-up
    for (let round = 0; round < rounds; round++) {
      for (const mode of modes) {
        const { us, cpuUs, rate } = await runOnce(mode, events, dicts);
        figures.get(mode)!.usPerEvent.push(us);
        if (cpuUs !== null) figures.get(mode)!.cpuUsPerEvent.push(cpuUs);
        figures.get(mode)!.eventsPerSec.push(rate);
      }
    }
  } finally {
    await inProcess.close();
    await bus.close();
    await pool.destroy();
  }

  const onCpu = modes.every((m) => figures.get(m)!.cpuUsPerEvent.length > 0);
  const rows = modes.map((mode) => {
    const f = figures.get(mode)!;
    const us = median(f.usPerEvent);
    const cpu = onCpu ? ` ${spread(f.cpuUsPerEvent, 2)} |` : "";
    return `| ${mode.name} | ${spread(f.usPerEvent, 2)} |${cpu} ${formatRate(1e6 / us)} | ${formatRate(median(f.eventsPerSec))} (${formatRate(Math.min(...f.eventsPerSec))}–${formatRate(Math.max(...f.eventsPerSec))}) |`;
  });
  const busUs = figures.get(modes[1]!)!.usPerEvent;
  const busCpu = figures.get(modes[1]!)!.cpuUsPerEvent;
  const rawUs = figures.get(modes[2]!)!.usPerEvent;
  const busMedian = median(busUs);
  const goals: Goal[] = [
    {
      goal: "Main thread per offloaded event ≤ 2 µs (trivial handler, 2 threads, stats and history on)",
      met: busMedian <= 2,
      measured: `${spread(busUs, 2)} µs${onCpu ? ` (on a core: ${spread(busCpu, 2)} µs)` : ""}`,
    },
    {
      goal: "Main thread per offloaded event below raw batched Piscina's",
      met: busMedian < median(rawUs),
      measured: `${busMedian.toFixed(2)} µs vs ${median(rawUs).toFixed(2)} µs`,
    },
  ];
  return {
    tables: [],
    text: [
      [
        `### Main-thread busy time per offloaded event, ${THREADS} threads (event-loop utilization; median and range of ${rounds} rounds)`,
        "",
        onCpu
          ? "| path | main-thread µs per event | of which on a core | ceiling (1 / cost) | events/s |"
          : "| path | main-thread µs per event | ceiling (1 / cost) | events/s |",
        onCpu ? "| --- | ---: | ---: | ---: | ---: |" : "| --- | ---: | ---: | ---: |",
        ...rows,
        "",
        `- ${n} events per round (${Math.max(WINDOW, n / 10)} for one run() per event), emitted in windows of ${WINDOW} and awaited window by window; the events are made before the clock starts.`,
        "- The ceiling is the most events/s the main thread could hand to any number of threads at that cost.",
        ...(onCpu
          ? [
              `- "Of which on a core": the main thread's run time from the kernel's schedstat. The rest of the busy time it waited for a core: with ${THREADS} worker threads and the main thread on ${availableParallelism()} cores, a worker woken for a batch can take the main thread's core.`,
            ]
          : []),
      ].join("\n"),
    ],
    goals,
    data: Object.fromEntries(modes.map((m) => [m.name, figures.get(m)])),
  };
}
