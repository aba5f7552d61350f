/**
 * Assertions shared by the suites: coded errors thrown or rejected, and the balance of an
 * EmitResult (every matched subscription is delivered, filtered or failed, once).
 */
import { expect } from "vitest";
import { BusError, type BusErrorCode, type EmitResult } from "../../src/index.js";

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

/** matched = delivered + filtered + failed, and one error per failure. */
export function expectBalanced(result: EmitResult): void {
  expect(result.matched).toBe(result.delivered + result.filtered + result.failed);
  expect(result.errors).toHaveLength(result.failed);
}
