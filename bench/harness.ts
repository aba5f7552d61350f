/**
 * The benchmark harness: environment facts, batched tinybench measurements reported per
 * operation, ratios against a named peer, and markdown rendering.
 *
 * tinybench times each iteration of a task. Operations of tens of nanoseconds are far below the
 * timer's resolution and its per-iteration overhead, so every task runs a batch of operations per
 * iteration (its size calibrated once so an iteration lasts ~0.2 ms) and the harness divides.
 * The p99 is therefore the p99 of batch means, not of single operations: it shows jitter between
 * batches (GC, other tenants of the machine), not a single slow call.
 * Both are reported per operation, as medians over the rounds of `measure`.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, platform, release, totalmem } from "node:os";
import { Bench } from "tinybench";

export interface RunConfig {
  quick: boolean;
  /** Milliseconds each task is measured for in all (after its warmups), split over the rounds. */
  timeMs: number;
  /** Warmup of each task before its first round. */
  warmupMs: number;
  /** Runs of every table's tasks, one after the other (see `measure`). */
  rounds: number;
}

export interface Environment {
  node: string;
  v8: string;
  os: string;
  cpu: string;
  cores: number;
  memoryGb: number;
  libraries: Record<string, string>;
  date: string;
}

const PEERS = ["qlobber", "eventemitter2", "mqemitter", "emittery", "eventemitter3", "mitt", "tinybench"] as const;

/** Reads an installed package's version from its own package.json. */
export function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = require.resolve(`${name}/package.json`);
  } catch {
    // Packages whose "exports" hide package.json: walk from the resolved entry instead.
    const entry = require.resolve(name);
    dir = entry.slice(0, entry.lastIndexOf(`node_modules/${name}/`) + `node_modules/${name}/`.length) + "package.json";
  }
  return (JSON.parse(readFileSync(dir, "utf8")) as { version: string }).version;
}

export function environment(): Environment {
  const own = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { name: string; version: string };
  const libraries: Record<string, string> = { [own.name]: own.version };
  for (const name of PEERS) libraries[name] = packageVersion(name);
  const cpu = cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    os: `${platform()} ${release()}`,
    cpu: cpu[0]?.model.trim() ?? "unknown",
    cores: cpu.length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    libraries,
    date: new Date().toISOString(),
  };
}

export function describeEnvironment(env: Environment): string {
  const libs = Object.entries(env.libraries)
    .map(([n, v]) => `${n} ${v}`)
    .join(", ");
  return `Node ${env.node} (V8 ${env.v8}), ${env.os}, ${env.cpu} × ${env.cores} cores, ${env.memoryGb} GB RAM. Libraries: ${libs}. Run ${env.date}.`;
}

/** One measured task: `run(n)` performs n operations (sync or async). */
export interface TaskSpec {
  name: string;
  /** The library measured (a key of Environment.libraries, or "node:events", "baseline"). */
  library: string;
  run: (n: number) => unknown;
  /** Operations per iteration; calibrated when absent. */
  batch?: number;
  /** Upper bound of the calibrated batch (e.g. the length of a prebuilt event array). */
  maxBatch?: number;
}

export interface TaskResult {
  name: string;
  library: string;
  batch: number;
  samples: number;
  /** Nanoseconds per operation: the median and p99 of batch means. */
  medianNs: number;
  p99Ns: number;
  /** Operations per second at the median. */
  opsPerSec: number;
  /** Speed-up against the group's reference task (its median / this median); null for none. */
  ratio: number | null;
  /** This task's median in each round, nanoseconds per operation (for paired comparisons). */
  roundMediansNs: number[];
}

export interface Table {
  title: string;
  /** The task the `ratio` column is measured against. */
  reference: string;
  notes: string[];
  rows: TaskResult[];
}

const TARGET_ITERATION_MS = 0.2;
const CALIBRATION_WARMUP_MS = 30;

/**
 * The batch size that makes one iteration last ~TARGET_ITERATION_MS. The task runs for a while
 * first: calibrated cold (before the JIT has compiled it), a fast task looks slow, gets a batch of
 * one or two, and then measures tinybench's per-iteration overhead instead of itself.
 */
async function calibrate(spec: TaskSpec): Promise<number> {
  if (spec.batch !== undefined) return spec.batch;
  const max = spec.maxBatch ?? 100_000;
  let n = 1;
  const warmUntil = performance.now() + CALIBRATION_WARMUP_MS;
  while (performance.now() < warmUntil) {
    await spec.run(n);
    n = Math.min(max, n * 2);
  }
  // Grow n until a run lasts the target, then keep the fastest of a few runs: a pause (GC, or
  // another process taking the core) only ever makes a run slower.
  n = 1;
  let took = 0;
  for (;;) {
    const start = performance.now();
    await spec.run(n);
    took = performance.now() - start;
    if (took >= TARGET_ITERATION_MS || n >= max) break;
    n = Math.min(max, n * 2);
  }
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    await spec.run(n);
    took = Math.min(took, performance.now() - start);
  }
  const perOp = took / n;
  return Math.max(1, Math.min(max, Math.round(TARGET_ITERATION_MS / Math.max(perOp, 1e-7))));
}

/**
 * Measures `specs` in `config.rounds` tinybench runs of all of them, so that every task is
 * measured at several moments and drift of a shared machine (other tenants, thermal) spreads
 * over all tasks instead of favouring the ones that happened to run in a quiet moment. A task's
 * median and p99 are the medians of its per-round figures. Ratios are against `reference` (a task
 * name of the group) as `reference median / task median` (above 1: faster).
 */
export async function measure(config: RunConfig, title: string, reference: string, specs: TaskSpec[], notes: string[] = [], rounds = config.rounds): Promise<Table> {
  const batches = new Map<string, number>();
  for (const spec of specs) batches.set(spec.name, await calibrate(spec));
  const perRound = new Map<string, { p50: number[]; p99: number[]; samples: number }>(specs.map((s) => [s.name, { p50: [], p99: [], samples: 0 }]));
  const roundMs = config.timeMs / rounds;
  for (let round = 0; round < rounds; round++) {
    // Warm up in the first round only: the JIT state of the task functions carries over.
    const bench = new Bench({ time: roundMs, warmupTime: config.warmupMs, warmup: round === 0, iterations: 8, warmupIterations: 4 });
    for (const spec of specs) {
      const batch = batches.get(spec.name)!;
      const run = spec.run;
      bench.add(spec.name, () => run(batch));
    }
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result;
      if (result.state !== "completed") {
        throw new Error(`task ${task.name} ${result.state}${result.state === "errored" ? `: ${result.error.message}` : ""}`);
      }
      const acc = perRound.get(task.name)!;
      acc.p50.push(result.latency.p50);
      acc.p99.push(result.latency.p99);
      acc.samples += result.latency.samplesCount;
    }
  }
  const rows: TaskResult[] = specs.map((spec) => {
    const batch = batches.get(spec.name)!;
    const acc = perRound.get(spec.name)!;
    const medianNs = (median(acc.p50) * 1e6) / batch;
    return {
      name: spec.name,
      library: spec.library,
      batch,
      samples: acc.samples,
      medianNs,
      p99Ns: (median(acc.p99) * 1e6) / batch,
      opsPerSec: 1e9 / medianNs,
      ratio: null,
      roundMediansNs: acc.p50.map((ms) => (ms * 1e6) / batch),
    };
  });
  const ref = rows.find((r) => r.name === reference);
  if (ref === undefined) throw new Error(`reference task ${reference} is not in "${title}"`);
  for (const row of rows) row.ratio = ref.medianNs / row.medianNs;
  return { title, reference, notes, rows };
}

/**
 * How much faster `task` is than `reference` round by round (reference / task in each round),
 * summarised: a paired comparison, so a burst of load from other tenants that hits one round
 * hits both tasks.
 */
export function pairedSpeedup(table: Table, task: string, reference: string): { median: number; min: number; max: number } {
  const of = (name: string): number[] => table.rows.find((r) => r.name === name)!.roundMediansNs;
  const mine = of(task);
  const ratios = of(reference).map((ref, i) => ref / mine[i]!);
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function formatNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(ns >= 100 ? 0 : 1)} ns`;
}

export function formatRate(perSec: number): string {
  if (perSec >= 1e6) return `${(perSec / 1e6).toFixed(2)} M/s`;
  if (perSec >= 1e3) return `${(perSec / 1e3).toFixed(1)} k/s`;
  return `${perSec.toFixed(1)} /s`;
}

export function libraryLabel(env: Environment, library: string): string {
  const version = env.libraries[library];
  return version === undefined ? library : `${library} ${version}`;
}

export function renderTable(env: Environment, table: Table): string {
  const lines = [
    `### ${table.title}`,
    "",
    `| task | library | median / op | p99 / op | ops/s (median) | vs ${table.reference} |`,
    "| --- | --- | ---: | ---: | ---: | ---: |",
  ];
  for (const r of table.rows) {
    const ratio = r.ratio === null ? "" : `${r.ratio.toFixed(2)}x`;
    lines.push(`| ${r.name} | ${libraryLabel(env, r.library)} | ${formatNs(r.medianNs)} | ${formatNs(r.p99Ns)} | ${formatRate(r.opsPerSec)} | ${ratio} |`);
  }
  if (table.notes.length > 0) lines.push("", ...table.notes.map((n) => `- ${n}`));
  return lines.join("\n");
}

/** A seeded PRNG (mulberry32): the same seed gives the same topic stream on every run. */
export { seededRandom } from "../src/cli/workflow.js";
