/**
 * Runs a user's handler through real EventBus instances: inline, and offloaded with each thread
 * count. Every bus is built and warmed up first; then the modes take turns, round after round, so
 * that a burst of load from another tenant of the machine spreads over all of them instead of
 * landing on one. Per mode: exact latency percentiles over every measured event, event-loop delay
 * (a 1 ms timer's lateness, see delay.ts), main-thread busy time (event-loop utilisation) and process CPU time.
 */
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { createHistogram, performance, type RecordableHistogram } from "node:perf_hooks";
import { Event, EventBus, offload } from "../../src/index.js";
import { textOf } from "../../src/describe-input.js";
import { median } from "../harness.js";
import type { Progress } from "../progress.js";
import { BenchUsageError } from "../usage-error.js";
import { advise } from "./advice.js";
import { DelaySampler, p99Ms } from "./delay.js";
import { BenchRunError, closedLoop, openLoop, settleWithin, type EmitFn, type RoundOutcome } from "./load.js";
import type { HandlerOptions } from "./options.js";
import {
  latencyPercentiles,
  MIN_DELAY_SAMPLES,
  runLabel,
  type HandlerResults,
  type HandlerRun,
  type Mode,
} from "./result.js";

/** What an inline handler gets as its second argument, like an offloaded handler's context. */
export interface HandlerContext {
  emit(eventType: string, data?: Record<string, unknown>, source?: string): Promise<unknown>;
}

type UserHandler = (event: Event, ctx: HandlerContext) => unknown;

interface Subject {
  mode: Mode;
  threads: number;
  bus: EventBus;
  rounds: RoundOutcome[];
  roundDelays: number[];
  mainThreadUs: number[];
  cpuMs: number;
  delay: RecordableHistogram;
}

/**
 * Imports the handler on the main thread (for the inline mode, and to report a bad module or
 * export before anything runs). @throws BenchUsageError
 */
export async function loadHandler(module: URL, exportName: string): Promise<UserHandler> {
  const path = fileURLToPath(module);
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(module.href)) as Record<string, unknown>;
  } catch (err) {
    const hint = /\.(c|m)?tsx?$/.test(path) ? " (a worker thread runs JavaScript: compile it and give the .js)" : "";
    throw new BenchUsageError(`--handler: cannot import ${path}${hint}: ${textOf(err)}`);
  }
  const fn = namespace[exportName];
  if (typeof fn !== "function") {
    const found = Object.keys(namespace).filter((k) => typeof namespace[k] === "function");
    throw new BenchUsageError(
      `--handler: ${path} has no function export "${exportName}"${found.length > 0 ? ` (function exports: ${found.join(", ")})` : ""}`,
    );
  }
  return fn as UserHandler;
}

function makeSubjects(options: HandlerOptions, handler: UserHandler): Subject[] {
  const subject = (mode: Mode, threads: number, bus: EventBus): Subject => ({
    mode,
    threads,
    bus,
    rounds: [],
    roundDelays: [],
    mainThreadUs: [],
    cpuMs: 0,
    delay: createHistogram(),
  });
  // Failures are counted and reported by the run itself (see load.ts): the bus need not log them.
  const quiet = { onError: () => {} };
  const inline = new EventBus(quiet);
  const ctx: HandlerContext = {
    emit: (eventType, data, source) => inline.emit(new Event(eventType, source ?? "bench", data ?? {})),
  };
  inline.subscribe(options.type, (event) => handler(event, ctx));
  const subjects = [subject("inline", 0, inline)];
  for (const threads of options.threads) {
    // maxQueue above the window: past it, emit waits for room, which would cap the window.
    const bus = new EventBus({
      ...quiet,
      workers: { minThreads: threads, maxThreads: threads, maxQueue: Math.max(1024, options.window * 2) },
    });
    bus.subscribe(options.type, offload(options.module, options.exportName));
    subjects.push(subject("offload", threads, bus));
  }
  return subjects;
}

/** Splits `total` events over `rounds` as evenly as whole events allow. */
export function perRoundEvents(total: number, rounds: number): number[] {
  const base = Math.floor(total / rounds);
  return Array.from({ length: rounds }, (_, r) => base + (r < total % rounds ? 1 : 0));
}

function summarise(s: Subject): HandlerRun {
  const events = s.rounds.reduce((sum, r) => sum + r.events, 0);
  const all = new Float64Array(events);
  let offset = 0;
  for (const r of s.rounds) {
    all.set(r.latencies, offset);
    offset += r.events;
  }
  const perRoundLatency = s.rounds.map((r) => latencyPercentiles(Float64Array.from(r.latencies)));
  const elapsedMs = s.rounds.reduce((sum, r) => sum + r.elapsedMs, 0);
  const samples = s.delay.count;
  const eventsPerSec = s.rounds.map((r) => (r.events / r.elapsedMs) * 1000);
  return {
    mode: s.mode,
    threads: s.threads,
    events,
    eventsPerSec: median(eventsPerSec),
    latencyMs: latencyPercentiles(all),
    eventLoopDelayP99Ms: p99Ms(s.delay),
    eventLoopDelaySamples: samples,
    eventLoopDelayTooFewSamples: samples < MIN_DELAY_SAMPLES,
    mainThreadUsPerEvent: s.mainThreadUs.length > 0 ? median(s.mainThreadUs) : null,
    cpuCores: s.mainThreadUs.length > 0 ? s.cpuMs / elapsedMs : null,
    failed: s.rounds.reduce((sum, r) => sum + r.failed, 0),
    firstError: s.rounds.find((r) => r.firstError !== null)?.firstError ?? null,
    rounds: s.rounds.length,
    perRound: {
      eventsPerSec,
      latencyP50Ms: perRoundLatency.map((l) => l.p50),
      latencyP99Ms: perRoundLatency.map((l) => l.p99),
      eventLoopDelayP99Ms: s.roundDelays,
      mainThreadUsPerEvent: s.mainThreadUs,
    },
  };
}

export async function runHandlerBench(
  options: HandlerOptions,
  progress: Progress,
  packageVersion: string,
): Promise<HandlerResults> {
  const handler = await loadHandler(options.module, options.exportName);
  const subjects = makeSubjects(options, handler);
  const total = subjects.length * (options.warmup + options.events);
  let finished = 0;
  const show = (s: Subject, phase: string, sent: number): void =>
    progress.update((finished + sent) / total, `${runLabel(s)}: ${phase}`);
  const run = (
    s: Subject,
    events: number,
    seconds: number,
    onProgress: (sent: number) => void,
  ): Promise<RoundOutcome> => {
    let i = 0;
    const emit: EmitFn = () =>
      s.bus.emit(new Event(options.type, "bench", options.payloads[i++ % options.payloads.length]!));
    const limits = { events, deadline: performance.now() + seconds * 1000, onProgress, timeoutMs: options.timeoutMs };
    return options.rate === null
      ? closedLoop(emit, { ...limits, window: options.window })
      : openLoop(emit, { ...limits, rate: options.rate });
  };
  let current: Subject | null = null;
  try {
    for (const s of subjects) {
      current = s;
      // One event first: starts the worker threads and loads the module before anything is timed.
      await settleWithin(
        s.bus.emit(new Event(options.type, "bench", options.payloads[0]!)),
        options.timeoutMs,
        () => 1,
      );
      if (options.warmup > 0) await run(s, options.warmup, options.seconds, (sent) => show(s, "warmup", sent));
      finished += options.warmup;
    }
    const split = perRoundEvents(options.events, options.rounds);
    for (const [round, events] of split.entries()) {
      for (const s of subjects) {
        current = s;
        const delay = new DelaySampler();
        const elu = performance.eventLoopUtilization();
        const cpu = process.cpuUsage();
        delay.start();
        const outcome = await run(s, events, options.seconds / options.rounds, (sent) =>
          show(s, `round ${round + 1}/${options.rounds}`, sent),
        );
        delay.stop(s.delay);
        // The open loop's pacer turns the event loop between events (a timer cannot wait less than
        // a millisecond): what the main thread and the CPU do then is the pacer's, not the bus's.
        if (options.rate === null) {
          const used = process.cpuUsage(cpu);
          s.cpuMs += (used.user + used.system) / 1000;
          s.mainThreadUs.push(
            outcome.events > 0 ? (performance.eventLoopUtilization(elu).active * 1000) / outcome.events : 0,
          );
        }
        s.roundDelays.push(p99Ms(delay.round));
        s.rounds.push(outcome);
        finished += events;
      }
    }
  } catch (err) {
    // Name the mode: inline and offloaded runs of one handler can differ (a module state, a thread).
    if (err instanceof BenchRunError && current !== null)
      throw new BenchRunError(`${runLabel(current)}: ${err.message}`);
    throw err;
  } finally {
    progress.done();
    // After a timeout, deliveries are still out: close does not wait for them long.
    await Promise.all(subjects.map((s) => s.bus.close({ timeoutMs: 1000 })));
  }
  const runs = subjects.map(summarise);
  return {
    handler: options.spec,
    node: process.version,
    cpus: availableParallelism(),
    package: packageVersion,
    type: options.type,
    loop: options.rate === null ? "closed" : "open",
    window: options.rate === null ? options.window : null,
    rate: options.rate,
    warmupEvents: options.warmup,
    rounds: options.rounds,
    date: new Date().toISOString(),
    runs,
    recommendation: advise(runs),
  };
}
