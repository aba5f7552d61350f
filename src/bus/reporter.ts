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
    try {
      // Inside the try too: what it returns may throw when asked for its `then`.
      watch(this.onError(error), (thrown) => this.toLogger(error, source, `onError rejected: ${textOf(thrown)}`));
    } catch (thrown) {
      this.toLogger(error, source, `onError threw: ${textOf(thrown)}`);
    }
  }

  private toLogger(error: BusError, source: ErrorSource | null, why: string | null): void {
    if (this.logger !== undefined) {
      const entry = { err: error, code: error.code, subscriptionId: error.subscriptionId, pattern: error.pattern };
      const also = why === null ? "" : `${why}; `;
      try {
        watch(this.logger.error(why === null ? entry : { ...entry, reporterFailure: why }, error.message), (thrown) =>
          this.toStderr(error, source, `${also}the logger rejected: ${textOf(thrown)}`),
        );
      } catch (thrown) {
        this.toStderr(error, source, `${also}the logger threw: ${textOf(thrown)}`);
      }
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

/** When `outcome` is a promise (an async reporter), `onRejected` hears of its rejection. @throws what reading its `then` throws */
function watch(outcome: unknown, onRejected: (thrown: unknown) => void): void {
  if (isThenable(outcome)) Promise.resolve(outcome).catch(onRejected);
}

function printOnce(seen: Set<string>, key: string, message: string): void {
  if (seen.has(key)) return;
  seen.add(key);
  process.stderr.write(`[@neurectomy/event-bus] ${message}\n`);
}

/** `logger`, each of whose levels logs through logSafely (error too: a transport reports with it). */
export function guardedLogger(logger: Logger): Logger {
  return {
    error: (obj, msg) => logSafely(logger, "error", obj, msg),
    warn: (obj, msg) => logSafely(logger, "warn", obj, msg),
    info: (obj, msg) => logSafely(logger, "info", obj, msg),
    debug: (obj, msg) => logSafely(logger, "debug", obj, msg),
  };
}

/** Logs at `level` if the logger has it; a logger that throws or rejects never breaks the bus. */
export function logSafely(
  logger: Logger,
  level: "error" | "warn" | "info" | "debug",
  obj: unknown,
  msg?: string,
): void {
  try {
    watch(logger[level]?.(obj, msg), () => undefined);
  } catch {
    // The logger's own failure is not the emitter's: the operation it described went on.
  }
}
