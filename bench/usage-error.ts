import { accessSync, constants, statSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";

/**
 * A bad command line: `neurobus bench` prints the message and the usage and exits with status 2.
 * The code is stable (match on it, not on the message).
 */
export class BenchUsageError extends Error {
  readonly code = "ERR_BENCH_USAGE";

  constructor(message: string) {
    super(message);
    this.name = "BenchUsageError";
  }
}

/** A positive integer option (`1_000` and `1000` both accepted). @throws BenchUsageError */
export function positiveInt(name: string, text: string): number {
  const value = Number(text.replaceAll("_", ""));
  if (text.trim() === "" || !Number.isSafeInteger(value) || value <= 0) {
    throw new BenchUsageError(`--${name} must be a positive integer, got "${text}"`);
  }
  return value;
}

/** A positive finite number option. @throws BenchUsageError */
export function positiveNumber(name: string, text: string): number {
  const value = Number(text.replaceAll("_", ""));
  if (text.trim() === "" || !Number.isFinite(value) || value <= 0) {
    throw new BenchUsageError(`--${name} must be a positive number, got "${text}"`);
  }
  return value;
}

/** A non-negative integer option. @throws BenchUsageError */
export function nonNegativeInt(name: string, text: string): number {
  const value = Number(text.replaceAll("_", ""));
  if (text.trim() === "" || !Number.isSafeInteger(value) || value < 0) {
    throw new BenchUsageError(`--${name} must be a whole number ≥ 0, got "${text}"`);
  }
  return value;
}

/**
 * Checks that `file` (an output option's value) can be written: its directory exists and it is
 * not a directory itself. @throws BenchUsageError
 */
export function checkOutputFile(name: string, file: string, cwd = process.cwd()): void {
  const path = resolve(cwd, file);
  const target = statSync(path, { throwIfNoEntry: false });
  if (target?.isDirectory() === true) throw new BenchUsageError(`--${name}: ${path} is a directory; give a file name`);
  const dir = statSync(dirname(path), { throwIfNoEntry: false });
  if (dir === undefined || !dir.isDirectory())
    throw new BenchUsageError(`--${name}: no directory ${dirname(path)} to write ${basename(path)} in`);
  try {
    accessSync(target === undefined ? dirname(path) : path, constants.W_OK);
  } catch {
    throw new BenchUsageError(`--${name}: ${path} cannot be written (permission denied)`);
  }
}

/** Runs node's parseArgs and turns its TypeError (unknown option, missing value) into a usage error. */
export function usageErrors<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof BenchUsageError) throw err;
    throw new BenchUsageError(err instanceof Error ? err.message : String(err));
  }
}
