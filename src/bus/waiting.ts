/**
 * `waitFor`: the first matching event as a promise. Built on an ordinary `once` subscription, so
 * it shows in getSubscriptionCount and in EmitResult.matched while it waits, and is removed when
 * it settles (event, timeout, abort or bus close).
 */
import { isThenable } from "../thenable.js";
import { BusClosedError, InvalidOptionsError, WaitTimeoutError } from "../errors.js";
import type { Event } from "../event.js";
import { z } from "zod";
import { filterOption, signalOption, type Filter, type Handler, type SubscribeOptions } from "./subscription.js";
import { MAX_TIMER_MS, MAX_TIMER_RULE } from "../deadline.js";

/** What waitFor and stream need of the bus. */
export interface WaitHost {
  subscribe(pattern: string, handler: Handler, options?: SubscribeOptions): string;
  unsubscribe(subscriptionId: string): boolean;
  /** Runs `hook` once when the bus starts closing; the returned function forgets it. */
  onClose(hook: () => void): () => void;
}

/**
 * Options of `bus.waitFor`.
 *
 * @example
 * ```ts
 * const done = await bus.waitFor("task.completed", { filter: (e) => e.data.task_id === "t1", timeoutMs: 5000 });
 * ```
 */
export interface WaitForOptions<E extends Event<string, object> = Event> {
  /** Only an event for which this returns true settles the wait. If it throws, the wait rejects with that error. */
  filter?: Filter<E>;
  /** Reject with WaitTimeoutError (code `EBUS_WAIT_TIMEOUT`) after this many milliseconds. */
  timeoutMs?: number;
  /** Aborting rejects with an `AbortError` (code `ABORT_ERR`, the signal's reason as `cause`). */
  signal?: AbortSignal;
}

/**
 * The error an abort rejects with: shaped like Node's own (events.once, timers/promises).
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const waiting = bus.waitFor("task.completed", { signal: controller.signal });
 * controller.abort();
 * await waiting.catch((err) => err instanceof AbortError && err.code === "ABORT_ERR"); // true
 * ```
 */
export class AbortError extends Error {
  readonly code = "ABORT_ERR";
  constructor(reason: unknown) {
    super("The operation was aborted", { cause: reason });
    this.name = "AbortError";
  }
}

/** Hooks run once when the bus starts closing: pending waitFor calls reject, streams end. */
export class CloseHooks {
  private hooks: Set<() => void> | null = null;

  /** @returns a function that forgets `hook`. */
  add(hook: () => void): () => void {
    const hooks = (this.hooks ??= new Set());
    hooks.add(hook);
    return () => hooks.delete(hook);
  }

  run(): void {
    const hooks = this.hooks;
    if (hooks === null) return;
    this.hooks = null;
    for (const hook of hooks) hook();
  }
}

const waitForOptionsSchema = z.strictObject({
  filter: filterOption,
  timeoutMs: z.number().nonnegative().max(MAX_TIMER_MS, MAX_TIMER_RULE).optional(),
  signal: signalOption,
});

function checkOptions(options: unknown): WaitForOptions {
  const parsed = waitForOptionsSchema.safeParse(options);
  if (!parsed.success) throw InvalidOptionsError.fromIssues("waitFor options", parsed.error.issues);
  const { filter, timeoutMs, signal } = parsed.data;
  const checked: WaitForOptions = {};
  if (filter !== undefined) checked.filter = filter;
  if (timeoutMs !== undefined) checked.timeoutMs = timeoutMs;
  if (signal !== undefined) checked.signal = signal;
  return checked;
}

/** Resolves with the first event matching `pattern` (and `filter`). See WaitForOptions for how it rejects. */
export function waitFor(host: WaitHost, pattern: string, options: unknown = {}): Promise<Event> {
  return new Promise<Event>((resolve, reject) => {
    const { filter, timeoutMs, signal } = checkOptions(options);
    if (signal?.aborted === true) throw new AbortError(signal.reason);
    let subscriptionId = "";
    let timer: NodeJS.Timeout | undefined;
    let forgetClose: (() => void) | undefined = undefined;
    let settled = false;
    const settle = (error: unknown, event?: Event): void => {
      if (settled) return;
      settled = true;
      if (subscriptionId !== "") host.unsubscribe(subscriptionId);
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      forgetClose?.();
      if (event !== undefined) resolve(event);
      else reject(error);
    };
    const onAbort = (): void => settle(new AbortError(signal?.reason));
    const guarded: Filter | undefined =
      filter === undefined
        ? undefined
        : (event) => {
            let verdict: boolean | Promise<boolean>;
            try {
              verdict = filter(event);
            } catch (err) {
              settle(err);
              throw err; // the bus counts and reports it as a failed delivery, as for any filter
            }
            if (!isThenable(verdict)) return verdict;
            // Any thenable (another realm's Promise, a hand-made one), as the bus adopts it: one
            // promise that the bus and the wait both follow, so a rejection settles the wait too.
            const adopted = Promise.resolve(verdict);
            adopted.catch((err: unknown) => settle(err));
            return adopted;
          };
    const subscribeOptions: SubscribeOptions = { once: true };
    if (guarded !== undefined) subscribeOptions.filter = guarded;
    subscriptionId = host.subscribe(pattern, (event) => settle(undefined, event), subscribeOptions);
    if (settled) return;
    forgetClose = host.onClose(() =>
      settle(new BusClosedError(`the bus closed while waiting for ${JSON.stringify(pattern)}`, { pattern })),
    );
    signal?.addEventListener("abort", onAbort, { once: true });
    if (timeoutMs !== undefined) {
      timer = setTimeout(
        () =>
          settle(
            new WaitTimeoutError(`waitFor: no event matching ${JSON.stringify(pattern)} within ${timeoutMs} ms`, {
              subscriptionId,
              pattern,
            }),
          ),
        timeoutMs,
      );
    }
  });
}
