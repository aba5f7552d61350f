/**
 * The options of `neurobus bench --handler FILE#EXPORT`: parsed, checked and resolved to the
 * values a run uses, so that every bad value is reported before anything runs (exit status 2).
 */
import { readFileSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { DEFAULT_BATCH_SIZE } from "../../src/bus/options.js";
import { Event } from "../../src/event.js";
import {
  BenchUsageError,
  checkOutputFile,
  nonNegativeInt,
  positiveInt,
  positiveNumber,
  usageErrors,
} from "../usage-error.js";

export const DEFAULT_EVENTS = 10_000;
export const DEFAULT_SECONDS = 10;
export const DEFAULT_ROUNDS = 3;
/** Events still unsettled this many ms after their window was sent stop the run (exit status 1). */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** The largest --window: twice it is the offloaded bus's maxQueue, which must stay a sane size. */
export const MAX_WINDOW = 1_000_000;
/** The bus's default offload batch size (EventBus `workers.batchSize`): the window is sized on it. */
export const OFFLOAD_BATCH_SIZE = DEFAULT_BATCH_SIZE;

export const HANDLER_USAGE = `Usage: neurobus bench --handler FILE#EXPORT [options]

Runs your handler through a real EventBus, inline and offloaded to worker threads, and prints a
markdown table (events/s, emit-to-done latency, event-loop delay, main-thread cost), then one line
of advice: inline, or offloaded with how many threads, and why.

Options:
  --handler FILE#EXPORT  the handler module (path from the current directory, or a file: URL) and
                         its export (default: default); sync or async. Inline its second argument
                         is a context whose emit(eventType, data?, source?) goes to the bus.
  --payload FILE.json    the event data: an object, or an array of objects used in turn (default {})
  --type T               the event type (default bench.event)
  --events N             events per mode (default ${DEFAULT_EVENTS.toLocaleString("en-US")}) ...
  --seconds S            ... or seconds per mode (default ${DEFAULT_SECONDS}), whichever comes first
  --threads LIST         offloaded thread counts to try, e.g. 1,2,4 (default: 1, 2, 4 ... up to the
                         available parallelism, ${availableParallelism()} here)
  --rate R               open loop at R events/s; latency counts from each event's scheduled time
                         (default: closed loop at full speed, a window of emits in flight)
  --window W             emits in flight per window of the closed loop (default: 2 x largest thread
                         count x the offload batch size of ${OFFLOAD_BATCH_SIZE})
  --warmup N             events each mode runs before it is measured (default: 10% of --events)
  --rounds N             rounds per mode, modes taking turns (default ${DEFAULT_ROUNDS}); the spread is over them
  --timeout MS           events still unsettled MS milliseconds after their window was sent stop
                         the run with exit status 1 (default ${DEFAULT_TIMEOUT_MS.toLocaleString("en-US")})
  --json FILE            write the results as JSON
  --report FILE.html     write a self-contained HTML report with charts
  -h, --help             show this help

Exit status: 0 when every mode ran, 1 when the run failed (every measured event failed, or some
stayed unsettled past --timeout), 2 on a bad option.
`;

export interface HandlerOptions {
  /** As given on the command line (FILE#EXPORT), for the reports. */
  spec: string;
  module: URL;
  exportName: string;
  /** Event data, used in turn. */
  payloads: Record<string, unknown>[];
  type: string;
  events: number;
  seconds: number;
  threads: number[];
  /** Events per second of the open loop; null for the closed loop. */
  rate: number | null;
  window: number;
  warmup: number;
  rounds: number;
  /** Milliseconds after which events still unsettled stop the run. */
  timeoutMs: number;
  json: string | undefined;
  report: string | undefined;
}

export type ParsedHandlerArgs = { help: true } | ({ help: false } & HandlerOptions);

/** 1, 2, 4 ... below `parallelism`, then `parallelism` itself. */
export function defaultThreads(parallelism: number): number[] {
  const out: number[] = [];
  for (let t = 1; t < parallelism; t *= 2) out.push(t);
  out.push(Math.max(1, parallelism));
  return out;
}

function parseThreads(text: string): number[] {
  const parts = text.split(",").map((p) => p.trim());
  const threads = parts.map((p) => {
    const n = Number(p);
    if (p === "" || !Number.isSafeInteger(n) || n <= 0 || n > 1024) {
      throw new BenchUsageError(
        `--threads must be a comma-separated list of thread counts from 1 to 1024 (e.g. 1,2,4), got "${text}"`,
      );
    }
    return n;
  });
  return [...new Set(threads)].sort((a, b) => a - b);
}

function parseHandlerSpec(spec: string, cwd: string): { module: URL; exportName: string } {
  const hash = spec.lastIndexOf("#");
  const file = hash === -1 ? spec : spec.slice(0, hash);
  const exportName = hash === -1 ? "default" : spec.slice(hash + 1);
  if (file === "" || exportName === "") {
    throw new BenchUsageError(
      `--handler must be FILE#EXPORT (e.g. ./handler.mjs#work) or FILE for its default export, got "${spec}"`,
    );
  }
  let module: URL;
  try {
    module = file.startsWith("file:") ? new URL(file) : pathToFileURL(resolve(cwd, file));
  } catch {
    throw new BenchUsageError(`--handler: "${file}" is not a file: URL (give a path, or file:///an/absolute/path)`);
  }
  const where = file.startsWith("file:") ? "a file: URL is absolute" : `paths are relative to ${cwd}`;
  let path: string;
  try {
    path = fileURLToPath(module);
  } catch (err) {
    throw new BenchUsageError(`--handler: ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined) throw new BenchUsageError(`--handler: no such file ${path} (${where})`);
  if (!stat.isFile()) throw new BenchUsageError(`--handler: ${path} is not a file (give a JavaScript module)`);
  return { module, exportName };
}

function readPayloads(file: string, cwd: string): Record<string, unknown>[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(resolve(cwd, file), "utf8"));
  } catch (err) {
    throw new BenchUsageError(
      `--payload: cannot read ${file} as JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  if (items.length === 0)
    throw new BenchUsageError(`--payload: ${file} holds an empty array; give at least one event data object`);
  items.forEach((item, i) => {
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      throw new BenchUsageError(
        `--payload: event data must be objects; ${Array.isArray(parsed) ? `item ${i}` : "the file"} of ${file} is ${item === null ? "null" : Array.isArray(item) ? "an array" : typeof item}`,
      );
    }
  });
  return items as Record<string, unknown>[];
}

function parseWindow(text: string): number {
  const window = positiveInt("window", text);
  if (window > MAX_WINDOW)
    throw new BenchUsageError(`--window must be at most ${MAX_WINDOW.toLocaleString("en-US")} emits, got "${text}"`);
  return window;
}

/** The guard timer of a window: within a timer's range (2^31 - 1 ms, about 24.8 days). */
function parseTimeout(text: string): number {
  const ms = positiveNumber("timeout", text);
  if (ms > 2 ** 31 - 1) throw new BenchUsageError(`--timeout must be at most 2147483647 ms, got "${text}"`);
  return ms;
}

/** @throws BenchUsageError naming the bad option and what it accepts. */
export function parseHandlerArgs(
  args: string[],
  cwd = process.cwd(),
  parallelism = availableParallelism(),
): ParsedHandlerArgs {
  const { values } = usageErrors(() =>
    parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        handler: { type: "string" },
        payload: { type: "string" },
        type: { type: "string" },
        events: { type: "string" },
        seconds: { type: "string" },
        threads: { type: "string" },
        rate: { type: "string" },
        window: { type: "string" },
        warmup: { type: "string" },
        rounds: { type: "string" },
        timeout: { type: "string" },
        json: { type: "string" },
        report: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }),
  );
  if (values.help) return { help: true };
  if (values.handler === undefined) throw new BenchUsageError("--handler FILE#EXPORT is required");
  const type = values.type ?? "bench.event";
  try {
    new Event(type, "bench");
  } catch (err) {
    throw new BenchUsageError(`--type: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (values.report !== undefined && !/\.html?$/i.test(values.report))
    throw new BenchUsageError(`--report writes HTML: give a file name ending in .html, got "${values.report}"`);
  // Checked now, not after a run of minutes whose results would then be lost.
  if (values.json !== undefined) checkOutputFile("json", values.json, cwd);
  if (values.report !== undefined) checkOutputFile("report", values.report, cwd);
  const events = values.events === undefined ? DEFAULT_EVENTS : positiveInt("events", values.events);
  const threads = values.threads === undefined ? defaultThreads(parallelism) : parseThreads(values.threads);
  const rounds = values.rounds === undefined ? DEFAULT_ROUNDS : positiveInt("rounds", values.rounds);
  if (rounds > events)
    throw new BenchUsageError(
      `--rounds (${rounds}) must not exceed --events (${events}): every round needs at least one event`,
    );
  return {
    help: false,
    spec: values.handler,
    ...parseHandlerSpec(values.handler, cwd),
    payloads: values.payload === undefined ? [{}] : readPayloads(values.payload, cwd),
    type,
    events,
    seconds: values.seconds === undefined ? DEFAULT_SECONDS : positiveNumber("seconds", values.seconds),
    threads,
    rate: values.rate === undefined ? null : positiveNumber("rate", values.rate),
    window: values.window === undefined ? 2 * Math.max(...threads) * OFFLOAD_BATCH_SIZE : parseWindow(values.window),
    warmup: values.warmup === undefined ? Math.ceil(events / 10) : nonNegativeInt("warmup", values.warmup),
    rounds,
    timeoutMs: values.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseTimeout(values.timeout),
    json: values.json,
    report: values.report,
  };
}
