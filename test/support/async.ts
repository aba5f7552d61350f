/**
 * Waiting without fixed sleeps: deferred promises, turns of the event loop, random latencies
 * made of such turns, and one poll with a deadline (`until`) for every suite.
 */

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

/** A promise with its resolve and reject functions, e.g. to hold a handler open until a test lets it go. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves after `turns` trips through the event loop's check phase (no fixed-length timers). */
export async function ticks(turns = 1): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Waits `turns` hops, alternating microtasks and setImmediate: a random latency with no sleep. */
export async function hops(turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (i % 2 === 0) await Promise.resolve();
    else await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

export interface UntilOptions {
  /** Fail after this long. Default 10 000 ms. */
  timeoutMs?: number;
  /** What is awaited, for the failure message. */
  message?: string;
  /** Pause between polls: 0 (the default) polls once per event-loop turn; NATS tests poll every 10 ms. */
  intervalMs?: number;
}

/**
 * Polls `predicate` (which may be async, and may throw to give up early) until it holds; throws
 * "timed out after N ms waiting for: message" once `timeoutMs` has passed.
 */
export async function until(predicate: () => boolean | Promise<boolean>, options: UntilOptions = {}): Promise<void> {
  const { timeoutMs = 10_000, message = "the condition", intervalMs = 0 } = options;
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${message}`);
    await new Promise<void>((resolve) => (intervalMs > 0 ? setTimeout(resolve, intervalMs) : setImmediate(resolve)));
  }
}
