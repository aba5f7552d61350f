/**
 * Subscriptions: what `subscribe` stores, and the validation of its arguments.
 */
import { nanoid } from "nanoid";
import { z } from "zod";
import type { Event } from "../event.js";
import { received } from "../describe-input.js";
import { InvalidHandlerError, InvalidOptionsError } from "../errors.js";
import { isOffloadHandler, type OffloadHandler } from "../offload/offload.js";
import { ConcurrencyLimiter } from "./concurrency.js";
import type { ParsedPattern } from "../pattern/grammar.js";

/**
 * A handler runs for each matching event; it may be sync or async.
 *
 * @example
 * ```ts
 * const handler: Handler = async (event) => { await save(event.data); };
 * bus.subscribe("task.*", handler);
 * ```
 */
export type Handler<E extends Event<string, object> = Event> = (event: E) => unknown;
/**
 * A filter decides whether a handler runs for an event; it may be sync or async.
 *
 * @example
 * ```ts
 * const critical: Filter = (event) => event.data["priority"] === "critical";
 * bus.subscribe("task.failed", alert, { filter: critical });
 * ```
 */
export type Filter<E extends Event<string, object> = Event> = (event: E) => boolean | Promise<boolean>;

/**
 * @example
 * ```ts
 * bus.subscribe("task.*", handler, { filter: (e) => e.source === "w1", signal: controller.signal, once: true, concurrency: 1 });
 * ```
 */
export interface SubscribeOptions<E extends Event<string, object> = Event> {
  /** Runs before the handler (on the main thread, also for offloaded handlers); false skips it. */
  filter?: Filter<E>;
  /** Aborting it unsubscribes. An already aborted signal subscribes nothing. */
  signal?: AbortSignal;
  /** Unsubscribe after the first event that passes the filter. */
  once?: boolean;
  /**
   * At most this many calls of this handler run at once; the others wait, in emit order (1 =
   * serial). Each emit still resolves only when its call has run and settled, so awaiting
   * emitters are held back rather than memory growing. Not for offload() handlers (use
   * `ordered`). Default: no limit.
   */
  concurrency?: number;
}

const subscribeOptionsSchema = z.strictObject({
  filter: z.custom<Filter>((v) => typeof v === "function", { message: "filter must be a function" }).optional(),
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, { message: "signal must be an AbortSignal" }).optional(),
  once: z.boolean().optional(),
  concurrency: z.number().int().positive().optional(),
});

export class Subscription {
  readonly kind = "subscription";
  readonly id = nanoid();
  /** Codes already printed to stderr for this subscription (when there is no onError or logger). */
  warned: Set<string> | null = null;
  /** Set once a `once` subscription has let an event through. */
  fired = false;
  abortListener: (() => void) | null = null;
  /** Set when the subscription has a `concurrency` limit. */
  limiter: ConcurrencyLimiter | null = null;

  constructor(
    readonly seq: number,
    readonly pattern: string,
    readonly parsed: ParsedPattern,
    readonly handler: Handler | null,
    readonly offload: OffloadHandler | null,
    readonly filter: Filter | null,
    readonly once: boolean,
    readonly signal: AbortSignal | null,
  ) {}
}

export interface ParsedSubscribe {
  handler: Handler | null;
  offload: OffloadHandler | null;
  options: { filter?: Filter | undefined; signal?: AbortSignal | undefined; once?: boolean | undefined };
  limiter: ConcurrencyLimiter | null;
}

type Options = z.infer<typeof subscribeOptionsSchema>;
const KNOWN = new Set(["filter", "signal", "once", "concurrency"]);

/**
 * The options when they are plainly valid, else null (zod then says what is wrong). Subscribing
 * is frequent in some applications (waitFor, once): this skips zod's cost for good input.
 */
function plainOptions(options: unknown): Options | null {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object" || Object.getPrototypeOf(options) !== Object.prototype) return null;
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!KNOWN.has(key)) return null;
  if (o["filter"] !== undefined && typeof o["filter"] !== "function") return null;
  if (o["signal"] !== undefined && !(o["signal"] instanceof AbortSignal)) return null;
  if (o["once"] !== undefined && typeof o["once"] !== "boolean") return null;
  const c = o["concurrency"];
  if (c !== undefined && !(typeof c === "number" && Number.isInteger(c) && c > 0)) return null;
  return o as Options;
}

/** Validates the handler and options of `subscribe`. */
export function parseSubscribeArgs(handler: unknown, options: unknown): ParsedSubscribe {
  let fn: Handler | null = null;
  let off: OffloadHandler | null = null;
  if (typeof handler === "function") fn = handler as Handler;
  else if (isOffloadHandler(handler)) off = handler;
  else throw new InvalidHandlerError(`handler must be a function or an offload() descriptor; got ${received(handler)}`);
  const quick = plainOptions(options);
  const parsed = quick === null ? subscribeOptionsSchema.safeParse(options ?? {}) : { success: true as const, data: quick };
  if (!parsed.success) throw InvalidOptionsError.fromIssues("subscribe options", parsed.error.issues);
  const { concurrency } = parsed.data;
  if (concurrency !== undefined && off !== null) {
    throw new InvalidOptionsError("invalid subscribe options: concurrency applies to in-process handlers; an offload() handler uses its `ordered` option and the pool's maxQueue");
  }
  return { handler: fn, offload: off, options: parsed.data, limiter: concurrency === undefined ? null : new ConcurrencyLimiter(concurrency) };
}
