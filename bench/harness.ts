/**
 * The benchmark harness: environment facts, batched measurements reported per operation, ratios
 * against a named peer, and markdown rendering. It needs no devDependency (it runs from an
 * installed package), so it times iterations itself rather than through a benchmark library.
 *
 * Each iteration of a task is timed. Operations of tens of nanoseconds are far below the
 * timer's resolution and its per-iteration overhead, so every task runs a batch of operations per
 * iteration (its size calibrated once so an iteration lasts ~0.2 ms) and the harness divides.
 * The p99 is therefore the p99 of batch means, not of single operations: it shows jitter between
 * batches (GC, other tenants of the machine), not a single slow call.
 * Both are reported per operation, as medians over the rounds of `measure`.
 */
import { readFileSync } from "node:fs";
import { cpus, platform, release, totalmem } from "node:os";
import { PEERS, peerVersion } from "./peers.js";

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

/** This package's name and version (dist/bench/ sits two levels below package.json). */
export function ownPackage(): { name: string; version: string } {
  return JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    name: string;
    version: string;
  };
}

export function environment(): Environment {
  const own = ownPackage();
  const libraries: Record<string, string> = { [own.name]: own.version };
  for (const name of PEERS) {
    const version = peerVersion(name);
    if (version !== undefined) libraries[name] = version;
  }
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
  /** Rounds every task was measured in (its figures are medians over them). */
  rounds: number;
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
 * one or two, and then measures the harness's per-iteration overhead instead of itself.
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
 * Measures `specs` in `config.rounds` runs of all of them, one task after the other in each, so that every task is
 * measured at several moments and drift of a shared machine (other tenants, thermal) spreads
 * over all tasks instead of favouring the ones that happened to run in a quiet moment. A task's
 * median and p99 are the medians of its per-round figures. Ratios are against `reference` (a task
 * name of the group) as `reference median / task median` (above 1: faster).
 */
export async function measure(
  config: RunConfig,
  title: string,
  reference: string,
  specs: TaskSpec[],
  notes: string[] = [],
  rounds = config.rounds,
): Promise<Table> {
  const batches = new Map<string, number>();
  for (const spec of specs) batches.set(spec.name, await calibrate(spec));
  const perRound = new Map<string, { p50: number[]; p99: number[]; samples: number }>(
    specs.map((s) => [s.name, { p50: [], p99: [], samples: 0 }]),
  );
  const roundMs = config.timeMs / rounds;
  for (let round = 0; round < rounds; round++) {
    for (const spec of specs) {
      // Warm up in the first round only: the JIT state of the task functions carries over.
      const times = await sample(spec.run, batches.get(spec.name)!, roundMs, round === 0 ? config.warmupMs : 0);
      const acc = perRound.get(spec.name)!;
      acc.p50.push(quantile(times, 0.5));
      acc.p99.push(quantile(times, 0.99));
      acc.samples += times.length;
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
  return { title, rounds, reference, notes, rows };
}

/**
 * How much faster `task` is than `reference` round by round (reference / task in each round),
 * summarised: a paired comparison, so a burst of load from other tenants that hits one round
 * hits both tasks.
 */
export function pairedSpeedup(
  table: Table,
  task: string,
  reference: string,
): { median: number; min: number; max: number } {
  const of = (name: string): number[] => table.rows.find((r) => r.name === name)!.roundMediansNs;
  const mine = of(task);
  const ratios = of(reference).map((ref, i) => ref / mine[i]!);
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

const MIN_ITERATIONS = 8;

/**
 * Times iterations of `run(batch)` for `ms` milliseconds (at least MIN_ITERATIONS of them), after
 * `warmupMs` of untimed ones. @returns each iteration's duration in milliseconds, sorted.
 */
async function sample(run: (n: number) => unknown, batch: number, ms: number, warmupMs: number): Promise<number[]> {
  const warmUntil = performance.now() + warmupMs;
  while (performance.now() < warmUntil) await run(batch);
  const times: number[] = [];
  const until = performance.now() + ms;
  while (times.length < MIN_ITERATIONS || performance.now() < until) {
    const start = performance.now();
    const result = run(batch);
    // Only a promise is awaited: awaiting a sync task's undefined would time a microtask turn too.
    if (result instanceof Promise) await result;
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b);
}

/** The q-quantile of sorted values (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
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

/** `±4.2%` (half the range of per-round figures, relative to their median), or `n/a` for one round. */
export function describeSpread(rounds: readonly number[]): string {
  if (rounds.length < 2) return "n/a (1 round)";
  return `±${((spread(rounds) * 100) / 2).toFixed(1)}%`;
}

/** (max − min) / median of per-round figures: 0 for a single round. */
export function spread(rounds: readonly number[]): number {
  if (rounds.length < 2) return 0;
  const m = median(rounds);
  return m === 0 ? 0 : (Math.max(...rounds) - Math.min(...rounds)) / m;
}

export function libraryLabel(env: Environment, library: string): string {
  const version = env.libraries[library];
  return version === undefined ? library : `${library} ${version}`;
}

export function renderTable(env: Environment, table: Table): string {
  const lines = [
    `### ${table.title}`,
    "",
    `| task | library | median / op | p99 / op | ops/s (median) | spread of round medians | timed iterations | vs ${table.reference} |`,
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of table.rows) {
    const ratio = r.ratio === null ? "" : `${r.ratio.toFixed(2)}x`;
    lines.push(
      `| ${r.name} | ${libraryLabel(env, r.library)} | ${formatNs(r.medianNs)} | ${formatNs(r.p99Ns)} | ${formatRate(r.opsPerSec)} | ${describeSpread(r.roundMediansNs)} | ${r.samples} | ${ratio} |`,
    );
  }
  const notes = [
    `${table.rounds} round${table.rounds === 1 ? "" : "s"} per task (with one round there is no spread to give: each figure is a single measurement); spread = ± half the range of the per-round medians, relative to their median.`,
    ...table.notes,
  ];
  lines.push("", ...notes.map((n) => `- ${n}`));
  return lines.join("\n");
}

/** A seeded PRNG (mulberry32): the same seed gives the same topic stream on every run. */
export { seededRandom } from "../src/seeded-random.js";
