/**
 * BusOptions and their zod schema. Strict: a misspelt option is an error, not a silent default.
 */
import { availableParallelism } from "node:os";
import { nanoid } from "nanoid";
import { z } from "zod";
import type { DispatcherOptions } from "../offload/dispatcher.js";
import { InvalidOptionsError, type BusError } from "../errors.js";
import { MAX_TIMER_MS, MAX_TIMER_RULE } from "../deadline.js";

/**
 * Any pino-compatible logger: `(obj, msg)` or `(msg)` methods. Only `error` is required.
 *
 * @example
 * ```ts
 * import pino from "pino";
 * const bus = new EventBus({ logger: pino({ level: "info" }) });
 * ```
 */
export interface Logger {
  error(obj: unknown, msg?: string): void;
  warn?(obj: unknown, msg?: string): void;
  info?(obj: unknown, msg?: string): void;
  debug?(obj: unknown, msg?: string): void;
}

/**
 * The `stats` option: how the counters and the latency histogram are kept.
 *
 * @example
 * ```ts
 * const bus = new EventBus({ stats: { sampleEvery: 1, typeCapacity: 256 } });
 * ```
 */
export interface StatsOptions {
  /** Time one delivery in this many (the latency histogram is sampled). Default 128; 1 times all. */
  sampleEvery?: number;
  /** Distinct event types counted one by one in `eventCounts`; the rest go to an overflow count. Default 1024. */
  typeCapacity?: number;
}

/**
 * The `workers` option: the Piscina pool that runs offloaded handlers.
 *
 * @example
 * ```ts
 * const bus = new EventBus({ workers: { maxThreads: 4, maxQueue: 2048, batchSize: 32 } });
 * ```
 */
export interface WorkerOptions {
  /** Threads kept alive when idle. Default 0 (the pool starts lazily, on the first offloaded event). */
  minThreads?: number;
  /** Default: the machine's available parallelism. */
  maxThreads?: number;
  /** Milliseconds an idle thread lives. Default 30000. */
  idleTimeout?: number;
  /** Events in flight to the pool at most (the bus's own bound); past it, emit waits. Default 1024. */
  maxQueue?: number;
  /** Events per Piscina task at most (fewer when the handler's learned cost fills about 1 ms first). Default 512. */
  batchSize?: number;
  /** Milliseconds a partial batch waits for more events before it is sent. Default 1. */
  batchDelayMs?: number;
  /**
   * Heap and stack limits of each worker thread (Node's `ResourceLimits`). A handler that goes
   * past them kills its thread: its event fails with EBUS_WORKER_CRASHED and the pool replaces
   * the thread. Default: Node's own limits.
   */
  resourceLimits?: WorkerResourceLimits;
}

/**
 * The subset of Node's `worker_threads` ResourceLimits the pool passes to its threads: a handler
 * that exhausts them kills only its thread (EBUS_WORKER_CRASHED for its event).
 *
 * @example
 * ```ts
 * new EventBus({ workers: { resourceLimits: { maxOldGenerationSizeMb: 256 } } });
 * ```
 */
export interface WorkerResourceLimits {
  maxOldGenerationSizeMb?: number;
  maxYoungGenerationSizeMb?: number;
  codeRangeSizeMb?: number;
  stackSizeMb?: number;
}

/**
 * Options of `new EventBus(options)`; validated strictly (a misspelt option throws EBUS_INVALID_OPTIONS).
 *
 * @example
 * ```ts
 * const bus = new EventBus({ maxHistory: 500, onError: (err) => console.error(err.code, err.message) });
 * ```
 */
export interface BusOptions {
  /** Events kept in history (a ring buffer). Default 1000; 0 keeps none; at most 100,000,000. */
  maxHistory?: number;
  /** Receives every handler, filter, worker and transport error. */
  onError?: (error: BusError) => void;
  /** A pino-compatible logger; used for errors when there is no `onError`. Silent by default. */
  logger?: Logger;
  /** Statistics counters; `false` turns them off. Default true. */
  stats?: boolean | StatsOptions;
  /** The worker pool that runs offloaded handlers. */
  workers?: WorkerOptions;
  /** This bus's identity across processes (NATS bridge). Default: a random id. */
  nodeId?: string;
  /**
   * Synchronous re-emits nested deeper than this reject with EBUS_RECURSION_LIMIT. Default 64, at
   * most 500: each level costs several stack frames, and Node's default stack overflows at about
   * 2000 levels of a trivial re-emitting handler (a RangeError, not the coded limit).
   */
  maxNesting?: number;
}

const fn = <T>(what: string) => z.custom<T>((v) => typeof v === "function", { message: `${what} must be a function` });
const positiveInt = z.number().int().positive();

/** The smallest `workers.resourceLimits.stackSizeMb` (Node's default is 4). */
export const MIN_STACK_MB = 1;

/** The largest `maxHistory`: history is kept in memory, an event at a time. */
export const MAX_HISTORY = 100_000_000;

/** `workers.batchSize` when not given: events per Piscina task at most. */
export const DEFAULT_BATCH_SIZE = 512;

const loggerSchema = z.custom<Logger>(
  (v) => typeof v === "object" && v !== null && typeof (v as { error?: unknown }).error === "function",
  { message: "logger must have an error() method (pino-compatible)" },
);

const busOptionsSchema = z.strictObject({
  maxHistory: z
    .number()
    .int()
    .min(0)
    .max(MAX_HISTORY, `at most ${MAX_HISTORY.toLocaleString("en-US")} (history is kept in memory)`)
    .optional(),
  onError: fn<(error: BusError) => void>("onError").optional(),
  logger: loggerSchema.optional(),
  stats: z
    .union([
      z.boolean(),
      z.strictObject({
        sampleEvery: positiveInt.optional(),
        typeCapacity: positiveInt.max(65536).optional(),
      }),
    ])
    .optional(),
  workers: z
    .strictObject({
      minThreads: z.number().int().min(0).optional(),
      maxThreads: positiveInt.max(1024).optional(),
      idleTimeout: z.number().int().min(0).max(MAX_TIMER_MS, MAX_TIMER_RULE).optional(),
      maxQueue: positiveInt.optional(),
      batchSize: positiveInt.max(65536).optional(),
      batchDelayMs: z.number().min(0).max(60_000).optional(),
      resourceLimits: z
        .strictObject({
          maxOldGenerationSizeMb: z.number().positive().optional(),
          maxYoungGenerationSizeMb: z.number().positive().optional(),
          codeRangeSizeMb: z.number().positive().optional(),
          // Below about 0.3 MB Node aborts the whole process when the thread starts (not only
          // the thread): 1 MB leaves room for loading a handler module.
          stackSizeMb: z
            .number()
            .min(
              MIN_STACK_MB,
              `at least ${MIN_STACK_MB} MB: a smaller stack aborts the whole process, not only its thread`,
            )
            .optional(),
        })
        .optional(),
    })
    .refine((w) => w.minThreads === undefined || w.maxThreads === undefined || w.minThreads <= w.maxThreads, {
      message: "minThreads must not exceed maxThreads",
    })
    .optional(),
  nodeId: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[A-Za-z0-9_.:-]+$/, "letters, digits, _ . : - only")
    .optional(),
  maxNesting: positiveInt.max(500).optional(),
});

/** The worker options with their defaults filled in: what the dispatcher runs with. */
export type ResolvedWorkerOptions = DispatcherOptions;

export interface ResolvedOptions {
  maxHistory: number;
  onError: ((error: BusError) => void) | undefined;
  logger: Logger | undefined;
  stats: { sampleEvery: number; typeCapacity: number } | null;
  workers: ResolvedWorkerOptions;
  /** The option, or a random id generated here (a bus always has one). */
  nodeId: string;
  maxNesting: number;
}

/** Validates and fills in defaults. @throws InvalidOptionsError with the zod issues as `cause`. */
export function resolveOptions(input: unknown): ResolvedOptions {
  const parsed = busOptionsSchema.safeParse(input === undefined ? {} : input);
  if (!parsed.success) throw InvalidOptionsError.fromIssues("EventBus options", parsed.error.issues);
  const o = parsed.data;
  const stats = o.stats === false ? null : o.stats === true || o.stats === undefined ? {} : o.stats;
  const w = o.workers ?? {};
  const maxThreads = w.maxThreads ?? Math.max(1, availableParallelism());
  return {
    maxHistory: o.maxHistory ?? 1000,
    onError: o.onError,
    logger: o.logger,
    stats: stats === null ? null : { sampleEvery: stats.sampleEvery ?? 128, typeCapacity: stats.typeCapacity ?? 1024 },
    workers: {
      minThreads: Math.min(w.minThreads ?? 0, maxThreads),
      maxThreads,
      idleTimeout: w.idleTimeout ?? 30_000,
      maxQueue: w.maxQueue ?? 1024,
      batchSize: w.batchSize ?? DEFAULT_BATCH_SIZE,
      batchDelayMs: w.batchDelayMs ?? 1,
      resourceLimits: definedOnly(w.resourceLimits ?? {}),
    },
    nodeId: o.nodeId ?? nanoid(),
    maxNesting: o.maxNesting ?? 64,
  };
}

/** zod leaves `undefined` for keys given as undefined; exactOptionalPropertyTypes wants them gone. */
function definedOnly(limits: { [K in keyof WorkerResourceLimits]?: number | undefined }): WorkerResourceLimits {
  const out: WorkerResourceLimits = {};
  for (const key of ["maxOldGenerationSizeMb", "maxYoungGenerationSizeMb", "codeRangeSizeMb", "stackSizeMb"] as const) {
    const value = limits[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * Options of `bus.close()`.
 *
 * @example
 * ```ts
 * await bus.close({ timeoutMs: 5000 }); // deliveries still running after 5 s fail with EBUS_CLOSED
 * ```
 */
export interface CloseOptions {
  /** Deliveries still running this many milliseconds after close() fail with EBUS_CLOSED. Default: wait for all. */
  timeoutMs?: number;
}

const closeOptionsSchema = z.strictObject({
  timeoutMs: z.number().min(0).max(MAX_TIMER_MS, MAX_TIMER_RULE).optional(),
});

/** Validates close()'s options, as strictly as the bus's own. @throws InvalidOptionsError */
export function parseCloseOptions(input: unknown): CloseOptions {
  const parsed = closeOptionsSchema.safeParse(input === undefined ? {} : input);
  if (!parsed.success)
    throw InvalidOptionsError.fromIssues(
      "close options",
      parsed.error.issues,
      "close takes { timeoutMs?: number }, such as close({ timeoutMs: 5000 })",
    );
  return parsed.data.timeoutMs === undefined ? {} : { timeoutMs: parsed.data.timeoutMs };
}
