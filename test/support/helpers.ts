/**
 * Small helpers shared by the tests: catching a coded error, deferred promises, and draining
 * the event loop without timers of fixed length.
 */
import { afterEach, expect } from "vitest";
import { BusError, EventBus, type BusErrorCode, type BusOptions } from "../../src/index.js";

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  expect.fail("expected a throw");
}

/** Asserts `fn` throws a BusError with `code`, and returns it. */
export function expectCode(fn: () => unknown, code: BusErrorCode): BusError {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(BusError);
  expect((err as BusError).code).toBe(code);
  return err as BusError;
}

/** Asserts `promise` rejects with a BusError with `code`, and returns it. */
export async function expectRejectCode(promise: Promise<unknown>, code: BusErrorCode): Promise<BusError> {
  let err: unknown;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  expect(err, "expected a rejection").toBeInstanceOf(BusError);
  expect((err as BusError).code).toBe(code);
  return err as BusError;
}

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

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

/** Polls `condition` once per event-loop turn until it holds, failing after `deadlineMs`. */
export async function until(condition: () => boolean, deadlineMs = 5_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > end) expect.fail("condition not met before the deadline");
    await ticks();
  }
}

/** mulberry32: the same seed gives the same stream. */
export { seededRandom } from "../../src/seeded-random.js";

/**
 * Returns a factory of buses that are all closed after each test (call it at the top level of a
 * test file). Close uses a timeout so a test that leaves a delivery hanging cannot hang the file.
 */
export function useBuses(): (options?: BusOptions) => EventBus {
  const buses: EventBus[] = [];
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((bus) => bus.close({ timeoutMs: 1_000 })));
  });
  return (options?: BusOptions) => {
    const bus = new EventBus(options);
    buses.push(bus);
    return bus;
  };
}
