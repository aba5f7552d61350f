/**
 * Where delivery errors go: `onError`, else the logger, else stderr once per subscription and
 * code. Never silently dropped, and a reporter that throws never reaches the emitter: an `onError`
 * that throws or rejects (an async one posting to an alerting service that is down) hands the
 * error on to the logger, a logger that does hands it to stderr, each saying why.
 */
import type { BusError } from "../errors.js";
import type { Logger } from "./options.js";
import { textOf } from "../describe-input.js";
import { isThenable } from "../thenable.js";

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
    if (this.onError === undefined) return this.toLogger(error, source, null);
    let outcome: unknown;
    try {
      outcome = this.onError(error);
    } catch (thrown) {
      return this.toLogger(error, source, `onError threw: ${textOf(thrown)}`);
    }
    if (isThenable(outcome))
      Promise.resolve(outcome).catch((thrown: unknown) =>
        this.toLogger(error, source, `onError rejected: ${textOf(thrown)}`),
      );
  }

  private toLogger(error: BusError, source: ErrorSource | null, why: string | null): void {
    if (this.logger !== undefined) {
      const entry = { err: error, code: error.code, subscriptionId: error.subscriptionId, pattern: error.pattern };
      let outcome: unknown;
      try {
        outcome = this.logger.error(why === null ? entry : { ...entry, reporterFailure: why }, error.message);
      } catch (thrown) {
        return this.toStderr(error, source, `${why === null ? "" : `${why}; `}the logger threw: ${textOf(thrown)}`);
      }
      if (isThenable(outcome))
        Promise.resolve(outcome).catch((thrown: unknown) =>
          this.toStderr(error, source, `${why === null ? "" : `${why}; `}the logger rejected: ${textOf(thrown)}`),
        );
      return;
    }
    this.toStderr(error, source, why);
  }

  private toStderr(error: BusError, source: ErrorSource | null, why: string | null): void {
    const seen = source === null ? this.warned : (source.warned ??= new Set());
    printOnce(
      seen,
      error.code,
      `${error.code}: ${error.message}${why === null ? "" : ` (${why})`} (printed once per subscription and code; pass onError or a logger to see every error)`,
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
