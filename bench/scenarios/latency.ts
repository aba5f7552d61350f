/**
 * Scenario "latency": emit-to-handler-done latency at a fixed offered rate, 50% of the maximum
 * measured just before, in process.
 *
 * Open loop: event i is due at t0 + i / rate whatever happened to the ones before it, so a stall
 * (GC, a slow turn of the event loop, another tenant of the machine) shows up as the latency of
 * every event that was due during it (no coordinated omission). Each turn of the loop emits every
 * event that is due, then yields with setImmediate as a server would. The handler stamps its own
 * completion; latency = completion - due time. The producer builds each event when it is due.
 */
import { Event, EventBus } from "../../src/index.js";
import { formatNs, type RunConfig } from "../harness.js";
import type { Goal, ScenarioOutput } from "../registry.js";
import { DATA, TYPE } from "./bus-fixtures.js";
import { makeEmittery } from "./peer-emitters.js";

interface Subject {
  name: string;
  library: string;
  /** Subscribes `done(i)` as the handler, and returns a function that emits event i. */
  setup(done: (i: number) => void): (i: number) => Promise<unknown>;
}

const subjects: Subject[] = [
  {
    name: "EventBus emit (history and stats on)",
    library: "@neurectomy/event-bus",
    setup(done) {
      const bus = new EventBus();
      bus.subscribe(TYPE, (event) => done((event.data as { i: number }).i));
      return (i) => bus.emit(new Event(TYPE, "bench", { ...DATA, i }));
    },
  },
  {
    name: "emittery emit",
    library: "emittery",
    setup(done) {
      const emittery = makeEmittery(0);
      emittery.on(TYPE, (data: unknown) => done((data as { i: number }).i));
      return (i) => emittery.emit(TYPE, { ...DATA, i });
    },
  },
];

const yieldTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Events per second when every event is already due: the open loop below with no pacing, so the
 * maximum and the loaded run pay the same per-event costs (promises collected, not awaited one by one).
 */
async function maxRate(emit: (i: number) => Promise<unknown>, ms: number): Promise<number> {
  let i = 0;
  const pending: Promise<unknown>[] = [];
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let k = 0; k < 256; k++) pending.push(emit(i++));
    if (pending.length > 4096) await Promise.all(pending.splice(0));
    await yieldTurn();
    now = performance.now();
  }
  await Promise.all(pending);
  return (i / (performance.now() - start)) * 1000;
}

interface LatencyResult {
  name: string;
  library: string;
  maxRate: number;
  offeredRate: number;
  achievedRate: number;
  events: number;
  p50Ns: number;
  p99Ns: number;
  p999Ns: number;
  maxNs: number;
}

async function openLoop(subject: Subject, ms: number): Promise<LatencyResult> {
  let completedAt: Float64Array = new Float64Array(0);
  const emitForMax = subject.setup(() => undefined);
  const max = await maxRate(emitForMax, Math.min(1000, ms / 2));
  const rate = max / 2;
  const total = Math.max(1000, Math.floor((rate * ms) / 1000));
  completedAt = new Float64Array(total);
  const emit = subject.setup((i) => {
    completedAt[i] = performance.now();
  });
  const pending: Promise<unknown>[] = [];
  const t0 = performance.now() + 1;
  const interval = 1000 / rate;
  let next = 0;
  while (next < total) {
    const due = Math.min(total, Math.floor((performance.now() - t0) / interval) + 1);
    while (next < due) pending.push(emit(next++));
    if (pending.length > 4096) await Promise.all(pending.splice(0));
    await yieldTurn();
  }
  await Promise.all(pending);
  const end = performance.now();
  const latencies = new Float64Array(total);
  for (let i = 0; i < total; i++) latencies[i] = (completedAt[i]! - (t0 + i * interval)) * 1e6;
  latencies.sort();
  const at = (q: number): number => latencies[Math.min(total - 1, Math.floor(q * total))]!;
  return {
    name: subject.name,
    library: subject.library,
    maxRate: max,
    offeredRate: rate,
    achievedRate: (total / (end - t0)) * 1000,
    events: total,
    p50Ns: at(0.5),
    p99Ns: at(0.99),
    p999Ns: at(0.999),
    maxNs: latencies[total - 1]!,
  };
}

export async function run(config: RunConfig): Promise<ScenarioOutput> {
  const ms = config.quick ? 500 : 4000;
  const results: LatencyResult[] = [];
  for (const subject of subjects) results.push(await openLoop(subject, ms));
  const ref = results.find((r) => r.library === "emittery")!;
  const rate = (r: number): string => `${(r / 1000).toFixed(0)} k/s`;
  const lines = [
    "| subject | max rate (unpaced) | offered (50%) | achieved | events | p50 | p99 | p99.9 | max | p99 vs emittery |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...results.map(
      (r) =>
        `| ${r.name} | ${rate(r.maxRate)} | ${rate(r.offeredRate)} | ${rate(r.achievedRate)}${r.achievedRate < 0.95 * r.offeredRate ? " (fell behind)" : ""} | ${r.events} | ${formatNs(r.p50Ns)} | ${formatNs(r.p99Ns)} | ${formatNs(r.p999Ns)} | ${formatNs(r.maxNs)} | ${(ref.p99Ns / r.p99Ns).toFixed(2)}x |`,
    ),
  ];
  const text = [
    lines.join("\n"),
    "- Each subject runs at half of its own maximum, measured just before with the same loop unpaced; events are built when due (the bus's include nanoid + Date). One sync handler that stamps its completion; latency = completion − due time, over every event. \"p99 vs emittery\" above 1x: a lower p99 than emittery's. A subject that fell behind (achieved < 95% of offered: the machine gave it less CPU than when its maximum was measured) has a backlog, and its tail is the backlog. One run per subject: the percentiles are over its events (the events column), with no spread across runs; see the benchmark page for how far they move between runs.",
  ];
  const goals: Goal[] = [];
  return { tables: [], text, goals, data: results };
}
