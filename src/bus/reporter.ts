/**
 * Where delivery errors go: `onError`, else the logger, else stderr once per subscription and
 * code. Never silently dropped, and a reporter that throws never reaches the emitter.
 */
import type { BusError } from "../errors.js";
import type { Logger } from "./options.js";
import { textOf } from "../describe-input.js";

/** Where a reporter remembers the codes it printed: a subscription, or the bridge as a delivery target. */
export interface ErrorSource {
  warned: Set<string> | null;
}

export class ErrorReporter {
  /** Codes printed for errors that belong to no subscription. */
  private readonly warned = new Set<string>();

  constructor(
    private readonly onError: ((error: BusError) => void) | undefined,
    private readonly logger: Logger | undefined,
  ) {}

  report(error: BusError, source: ErrorSource | null): void {
    if (this.onError !== undefined) {
      try {
        this.onError(error);
      } catch (thrown) {
        printOnce(this.warned, "onError", `onError threw while reporting ${error.code}: ${textOf(thrown)}`);
      }
      return;
    }
    if (this.logger !== undefined) {
      try {
        this.logger.error(
          { err: error, code: error.code, subscriptionId: error.subscriptionId, pattern: error.pattern },
          error.message,
        );
        return;
      } catch {
        // a broken logger must not take the emitter down; fall through to stderr
      }
    }
    const seen = source === null ? this.warned : (source.warned ??= new Set());
    printOnce(
      seen,
      error.code,
      `${error.code}: ${error.message} (printed once per subscription and code; pass onError or a logger to see every error)`,
    );
  }
}

function printOnce(seen: Set<string>, key: string, message: string): void {
  if (seen.has(key)) return;
  seen.add(key);
  process.stderr.write(`[@neurectomy/event-bus] ${message}\n`);
}

/** Logs at `level` if the logger has it; a logger that throws never breaks the bus. */
export function logSafely(logger: Logger, level: "info" | "debug", obj: object, msg: string): void {
  try {
    logger[level]?.(obj, msg);
  } catch {
    // The logger's own failure is not the emitter's: the operation it described went on.
  }
}
