import { describe } from "./describe-input.js";

/**
 * Every error the bus raises is a {@link BusError} with a stable, literal `code`. Match on the
 * code, never on the message: messages are for people and may change.
 *
 * @example
 * ```ts
 * try { bus.subscribe("a..b", handler); }
 * catch (err) { if (err instanceof BusError && err.code === "EBUS_INVALID_PATTERN") { ... } }
 * ```
 */
export type BusErrorCode =
  | "EBUS_INVALID_PATTERN"
  | "EBUS_INVALID_EVENT"
  | "EBUS_INVALID_OPTIONS"
  | "EBUS_INVALID_HANDLER"
  | "EBUS_CLOSED"
  | "EBUS_RECURSION_LIMIT"
  | "EBUS_HANDLER_FAILED"
  | "EBUS_HANDLER_TIMEOUT"
  | "EBUS_WORKER_CRASHED"
  | "EBUS_NOT_CLONEABLE"
  | "EBUS_TRANSPORT"
  | "EBUS_WAIT_TIMEOUT"
  | "EBUS_ALREADY_BRIDGED"
  | "EBUS_WORKER_ENTRY_MISSING";

/** Where a delivery error happened: the subscription and its pattern. */
export interface DeliveryContext {
  subscriptionId?: string;
  pattern?: string;
}

export interface BusErrorOptions extends DeliveryContext {
  cause?: unknown;
}

/**
 * Base class of every error the bus raises.
 *
 * @example
 * ```ts
 * try {
 *   bus.subscribe("task.*", handler, { signal });
 * } catch (err) {
 *   if (err instanceof BusError) console.error(err.code, err.message);
 * }
 * ```
 */
export class BusError extends Error {
  readonly code: BusErrorCode;
  /** The subscription whose handler or filter failed, for delivery errors. */
  readonly subscriptionId: string | undefined;
  /** The pattern of that subscription, for delivery errors. */
  readonly pattern: string | undefined;

  constructor(code: BusErrorCode, message: string, options: BusErrorOptions = {}) {
    super(message, "cause" in options ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    this.subscriptionId = options.subscriptionId;
    this.pattern = options.pattern;
  }
}

/**
 * A pattern broke the grammar (docs/guide.md, Patterns). `input` is the pattern, `rule` the rule.
 *
 * @example
 * ```ts
 * try { bus.subscribe("ta*k.x", handler); }
 * catch (err) { if (err instanceof InvalidPatternError) console.error(err.input, err.rule); }
 * ```
 */
export class InvalidPatternError extends BusError {
  declare readonly code: "EBUS_INVALID_PATTERN";
  readonly input: unknown;
  readonly rule: string;
  constructor(input: unknown, rule: string) {
    super(
      "EBUS_INVALID_PATTERN",
      `invalid pattern ${describe(input)}: ${rule}`,
      typeof input === "string" ? { pattern: input } : {},
    );
    this.input = input;
    this.rule = rule;
  }
}

/**
 * An event (or its wire form) is malformed. `field` names the field, `rule` the rule broken.
 *
 * @example
 * ```ts
 * await bus.emit(event).catch((err) => {
 *   if (err instanceof InvalidEventError) console.error(err.field, err.rule, err.cause); // cause: zod issues
 * });
 * ```
 */
export class InvalidEventError extends BusError {
  declare readonly code: "EBUS_INVALID_EVENT";
  readonly field: string;
  readonly rule: string;
  /** `got` says what was received (see `received()`); it goes into the message only. */
  constructor(field: string, rule: string, cause?: unknown, got?: string) {
    super(
      "EBUS_INVALID_EVENT",
      `invalid event: ${field}: ${rule}${got === undefined ? "" : `; got ${got}`}`,
      cause === undefined ? {} : { cause },
    );
    this.field = field;
    this.rule = rule;
  }
}

/**
 * Options failed validation; `cause` holds the zod issues.
 *
 * @example
 * ```ts
 * try { new EventBus(JSON.parse('{ "maxHistroy": 10 }')); } // a misspelt key from a config file
 * catch (err) { if (err instanceof InvalidOptionsError) console.error(err.message); }
 * ```
 */
export class InvalidOptionsError extends BusError {
  declare readonly code: "EBUS_INVALID_OPTIONS";
  constructor(message: string, cause?: unknown) {
    super("EBUS_INVALID_OPTIONS", message, cause === undefined ? {} : { cause });
  }

  /** @internal `invalid <what>: <each issue as path: message>`, the issues as `cause`, then the fix if any. */
  static fromIssues(what: string, issues: readonly OptionIssue[], fix?: string): InvalidOptionsError {
    return new InvalidOptionsError(
      `invalid ${what}: ${formatIssues(issues)}${fix === undefined ? "" : ` (${fix})`}`,
      issues,
    );
  }
}

/** One validation issue, as zod reports it. */
export interface OptionIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** @internal Validation issues for a message: each as `path: message`, joined with "; ". */
export function formatIssues(issues: readonly OptionIssue[]): string {
  return issues
    .map((i) => (i.path.length > 0 ? `${i.path.map(String).join(".")}: ${i.message}` : i.message))
    .join("; ");
}

/**
 * A handler that is not a function, or a malformed offload descriptor.
 *
 * @example
 * ```ts
 * try { bus.subscribe("a.*", plugins[name]); } // a plugin table without that name: undefined
 * catch (err) { if (err instanceof InvalidHandlerError) console.error(err.code); } // EBUS_INVALID_HANDLER
 * ```
 */
export class InvalidHandlerError extends BusError {
  declare readonly code: "EBUS_INVALID_HANDLER";
  constructor(message: string, options: BusErrorOptions = {}) {
    super("EBUS_INVALID_HANDLER", message, options);
  }
}

/**
 * The bus is closed (or closed before this delivery could finish).
 *
 * @example
 * ```ts
 * await bus.close();
 * await bus.emit(event).catch((err) => err instanceof BusClosedError); // true
 * ```
 */
export class BusClosedError extends BusError {
  declare readonly code: "EBUS_CLOSED";
  constructor(message = "the event bus is closed", options: BusErrorOptions = {}) {
    super("EBUS_CLOSED", message, options);
  }
}

/**
 * Handlers re-emitted synchronously deeper than the bus's nesting limit.
 *
 * @example
 * ```ts
 * const bus = new EventBus({ maxNesting: 8, onError: (e) => e.code === "EBUS_RECURSION_LIMIT" && console.warn(e.message) });
 * ```
 */
export class RecursionLimitError extends BusError {
  declare readonly code: "EBUS_RECURSION_LIMIT";
  constructor(limit: number, eventType: string) {
    super("EBUS_RECURSION_LIMIT", `emit of "${eventType}" nested deeper than ${limit} synchronous re-emits`);
  }
}

/**
 * A handler or filter threw (or its promise rejected); `cause` is what it threw.
 *
 * @example
 * ```ts
 * const { errors } = await bus.emit(event);
 * for (const err of errors) if (err instanceof HandlerFailedError) console.error(err.subscriptionId, err.cause);
 * ```
 */
export class HandlerFailedError extends BusError {
  declare readonly code: "EBUS_HANDLER_FAILED";
  constructor(message: string, options: BusErrorOptions) {
    super("EBUS_HANDLER_FAILED", message, options);
  }
}

/**
 * An offloaded handler ran past its `timeoutMs`.
 *
 * @example
 * ```ts
 * const { errors } = await bus.emit(event); // to offload(url, "handle", { timeoutMs: 100 }), which hangs
 * errors[0] instanceof HandlerTimeoutError; // true
 * ```
 */
export class HandlerTimeoutError extends BusError {
  declare readonly code: "EBUS_HANDLER_TIMEOUT";
  constructor(message: string, options: BusErrorOptions) {
    super("EBUS_HANDLER_TIMEOUT", message, options);
  }
}

/**
 * The worker thread running an offloaded handler died while running it.
 *
 * @example
 * ```ts
 * const bus = new EventBus({ onError: (err) => { if (err instanceof WorkerCrashedError) alert(err.subscriptionId); } });
 * ```
 */
export class WorkerCrashedError extends BusError {
  declare readonly code: "EBUS_WORKER_CRASHED";
  constructor(message: string, options: BusErrorOptions) {
    super("EBUS_WORKER_CRASHED", message, options);
  }
}

/**
 * The event's data could not be cloned to a worker thread.
 *
 * @example
 * ```ts
 * const { errors } = await bus.emit(new Event("a.b", "s", { fn: () => 1 })); // to an offloaded handler
 * errors[0] instanceof NotCloneableError; // true
 * ```
 */
export class NotCloneableError extends BusError {
  declare readonly code: "EBUS_NOT_CLONEABLE";
  constructor(message: string, options: BusErrorOptions) {
    super("EBUS_NOT_CLONEABLE", message, options);
  }
}

/**
 * A transport (NATS bridge) failed to publish, receive or connect.
 *
 * @example
 * ```ts
 * const bus = new EventBus({ onError: (err) => { if (err instanceof TransportError) console.error("NATS:", err.message); } });
 * ```
 */
export class TransportError extends BusError {
  declare readonly code: "EBUS_TRANSPORT";
  constructor(message: string, options: BusErrorOptions = {}) {
    super("EBUS_TRANSPORT", message, options);
  }
}

/**
 * `waitFor` saw no matching event within its `timeoutMs` (no handler timed out: the wait did).
 *
 * @example
 * ```ts
 * await bus.waitFor("task.completed", { timeoutMs: 1000 }).catch((err) => err instanceof WaitTimeoutError); // true on timeout
 * ```
 */
export class WaitTimeoutError extends BusError {
  declare readonly code: "EBUS_WAIT_TIMEOUT";
  constructor(message: string, options: BusErrorOptions = {}) {
    super("EBUS_WAIT_TIMEOUT", message, options);
  }
}

/**
 * `bridge()` was called on a bus whose bridge is still open: close that bridge first.
 *
 * @example
 * ```ts
 * await bus.bridge(transport2).catch((err) => err instanceof AlreadyBridgedError); // true while the first bridge is open
 * ```
 */
export class AlreadyBridgedError extends BusError {
  declare readonly code: "EBUS_ALREADY_BRIDGED";
  constructor(
    message = "this bus is already bridged: one bridge at a time; close it (await bridge.close()) before bridging again",
  ) {
    super("EBUS_ALREADY_BRIDGED", message);
  }
}

/**
 * The compiled worker entry (`dist/workers/entry.cjs`) is missing, so no offloaded handler can
 * run: the package was not built (run `npm run build`) or was installed without its `dist/workers`.
 *
 * @example
 * ```ts
 * const { errors } = await bus.emit(event); // to an offloaded handler, in an unbuilt checkout
 * errors[0] instanceof WorkerEntryMissingError; // true
 * ```
 */
export class WorkerEntryMissingError extends BusError {
  declare readonly code: "EBUS_WORKER_ENTRY_MISSING";
  constructor(message: string, options: BusErrorOptions = {}) {
    super("EBUS_WORKER_ENTRY_MISSING", message, options);
  }
}
