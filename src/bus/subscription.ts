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
  /** Runs before the handler (on the main thread, also for offloaded handlers); a falsy result skips it. */
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

/** The `filter` and `signal` options, as subscribe, waitFor and stream check them. */
export const filterOption = z
  .custom<Filter>((v) => typeof v === "function", { message: "filter must be a function" })
  .optional();
export const signalOption = z
  .custom<AbortSignal>((v) => v instanceof AbortSignal, { message: "signal must be an AbortSignal" })
  .optional();

const subscribeOptionsSchema = z.strictObject({
  filter: filterOption,
  signal: signalOption,
  once: z.boolean().optional(),
  concurrency: z.number().int().positive().optional(),
});

/**
 * What a delivery calls: an in-process handler, one behind a `concurrency` limiter, or an
 * offload() descriptor that a worker thread runs. DeliveryRunner.deliver switches on `kind`.
 */
export type DeliveryTarget =
  | { readonly kind: "handler"; readonly handler: Handler }
  | { readonly kind: "limited"; readonly handler: Handler; readonly limiter: ConcurrencyLimiter }
  | { readonly kind: "offload"; readonly offload: OffloadHandler };

export interface SubscriptionInit {
  seq: number;
  pattern: string;
  parsed: ParsedPattern;
  target: DeliveryTarget;
  filter: Filter | null;
  once: boolean;
  signal: AbortSignal | null;
}

export class Subscription {
  readonly id = nanoid();
  readonly seq: number;
  readonly pattern: string;
  readonly parsed: ParsedPattern;
  readonly target: DeliveryTarget;
  readonly filter: Filter | null;
  readonly once: boolean;
  readonly signal: AbortSignal | null;
  /** Codes already printed to stderr for this subscription (when there is no onError or logger). */
  warned: Set<string> | null = null;
  /** Set once a `once` subscription has let an event through. */
  fired = false;
  abortListener: (() => void) | null = null;

  constructor(init: SubscriptionInit) {
    this.seq = init.seq;
    this.pattern = init.pattern;
    this.parsed = init.parsed;
    this.target = init.target;
    this.filter = init.filter;
    this.once = init.once;
    this.signal = init.signal;
  }
}

export interface ParsedSubscribe {
  target: DeliveryTarget;
  filter: Filter | null;
  once: boolean;
  signal: AbortSignal | null;
}

type Options = z.infer<typeof subscribeOptionsSchema>;
const KNOWN = new Set(["filter", "signal", "once", "concurrency"]);

/**
 * The options when they are plainly valid, else null (zod then says what is wrong). Subscribing
 * is frequent in some applications (waitFor, once): this skips zod's cost for good input.
 */
function plainOptions(options: unknown): Options | null {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object" || Object.getPrototypeOf(options) !== Object.prototype)
    return null;
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!KNOWN.has(key)) return null;
  if (o["filter"] !== undefined && typeof o["filter"] !== "function") return null;
  if (o["signal"] !== undefined && !(o["signal"] instanceof AbortSignal)) return null;
  if (o["once"] !== undefined && typeof o["once"] !== "boolean") return null;
  const c = o["concurrency"];
  if (c !== undefined && !(typeof c === "number" && Number.isInteger(c) && c > 0)) return null;
  return o as Options;
}

const GeneratorFunction: unknown = Object.getPrototypeOf(function* () {});
const AsyncGeneratorFunction: unknown = Object.getPrototypeOf(async function* () {});

/**
 * Why a function cannot serve as a handler (its body would never run), or null. A class is told by
 * its source and its read-only `prototype` (a method named `class` has neither prototype nor the
 * shape). Never throws (a revoked Proxy is left to fail at its call, as any throwing handler).
 */
function unfitHandler(fn: (...args: never[]) => unknown): string | null {
  try {
    const proto: unknown = Object.getPrototypeOf(fn);
    if (proto === GeneratorFunction || proto === AsyncGeneratorFunction)
      return "a generator function's body does not run when it is called (it returns an iterator): use a plain or async function";
    if (
      Object.getOwnPropertyDescriptor(fn, "prototype")?.writable === false &&
      /^class\b/.test(Function.prototype.toString.call(fn))
    )
      return "a class cannot be called without `new`: pass a function, such as (event) => new MyHandler().handle(event)";
  } catch {
    // A revoked Proxy.
  }
  return null;
}

/** Validates the handler and options of `subscribe`. */
export function parseSubscribeArgs(handler: unknown, options: unknown): ParsedSubscribe {
  const offloaded = typeof handler !== "function" && isOffloadHandler(handler);
  if (typeof handler !== "function" && !offloaded) {
    throw new InvalidHandlerError(`handler must be a function or an offload() descriptor; got ${received(handler)}`);
  }
  const unfit = typeof handler === "function" ? unfitHandler(handler as (...args: never[]) => unknown) : null;
  if (unfit !== null) throw new InvalidHandlerError(`handler: ${unfit}`);
  const quick = plainOptions(options);
  const parsed = quick === null ? subscribeOptionsSchema.safeParse(options) : { success: true as const, data: quick };
  if (!parsed.success) throw InvalidOptionsError.fromIssues("subscribe options", parsed.error.issues);
  const { concurrency, filter, once, signal } = parsed.data;
  let target: DeliveryTarget;
  if (typeof handler === "function") {
    const fn = handler as Handler;
    target =
      concurrency === undefined
        ? { kind: "handler", handler: fn }
        : { kind: "limited", handler: fn, limiter: new ConcurrencyLimiter(concurrency) };
  } else {
    if (concurrency !== undefined) {
      throw new InvalidOptionsError(
        "invalid subscribe options: concurrency applies to in-process handlers; an offload() handler uses its `ordered` option and the pool's maxQueue",
      );
    }
    target = { kind: "offload", offload: handler as OffloadHandler };
  }
  return { target, filter: filter ?? null, once: once ?? false, signal: signal ?? null };
}
