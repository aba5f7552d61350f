/**
 * Every error class, driven by one table (as undici's test/errors.js): its class, its literal
 * code, its name, and a sample message. The table is keyed by code, so a code added to
 * BusErrorCode without a row does not compile; the README's error table must list every code.
 *
 * At the top of test/, as src/errors.ts is at the top of src/ (shared by every part of the code).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  AlreadyBridgedError,
  BusClosedError,
  BusError,
  HandlerFailedError,
  HandlerTimeoutError,
  InvalidEventError,
  InvalidHandlerError,
  InvalidOptionsError,
  InvalidPatternError,
  NotCloneableError,
  RecursionLimitError,
  TransportError,
  WaitTimeoutError,
  WorkerCrashedError,
  WorkerEntryMissingError,
  type BusErrorCode,
} from "../src/index.js";

interface Row {
  Class: abstract new (...args: never[]) => BusError;
  name: string;
  make: () => BusError;
  message: string;
}

const context = { subscriptionId: "sub-1", pattern: "task.*", cause: new Error("inner") };

const table: { [C in BusErrorCode]: Row } = {
  EBUS_INVALID_PATTERN: {
    Class: InvalidPatternError,
    name: "InvalidPatternError",
    make: () => new InvalidPatternError("ta*k.x", "'*' must be a whole segment or end the last segment"),
    message: `invalid pattern "ta*k.x": '*' must be a whole segment or end the last segment`,
  },
  EBUS_INVALID_EVENT: {
    Class: InvalidEventError,
    name: "InvalidEventError",
    make: () => new InvalidEventError("data", "must be a plain object", undefined, 'a string ("hello")'),
    message: `invalid event: data: must be a plain object; got a string ("hello")`,
  },
  EBUS_INVALID_OPTIONS: {
    Class: InvalidOptionsError,
    name: "InvalidOptionsError",
    make: () =>
      InvalidOptionsError.fromIssues(
        "close options",
        [{ path: [], message: 'Unrecognized key: "timeout"' }],
        "close takes { timeoutMs }",
      ),
    message: `invalid close options: Unrecognized key: "timeout" (close takes { timeoutMs })`,
  },
  EBUS_INVALID_HANDLER: {
    Class: InvalidHandlerError,
    name: "InvalidHandlerError",
    make: () => new InvalidHandlerError("handler must be a function or an offload() descriptor; got a number (1)"),
    message: "handler must be a function or an offload() descriptor; got a number (1)",
  },
  EBUS_CLOSED: {
    Class: BusClosedError,
    name: "BusClosedError",
    make: () => new BusClosedError(),
    message: "the event bus is closed",
  },
  EBUS_RECURSION_LIMIT: {
    Class: RecursionLimitError,
    name: "RecursionLimitError",
    make: () => new RecursionLimitError(64, "a.b"),
    message: `emit of "a.b" nested deeper than 64 synchronous re-emits`,
  },
  EBUS_HANDLER_FAILED: {
    Class: HandlerFailedError,
    name: "HandlerFailedError",
    make: () => new HandlerFailedError("handler threw", context),
    message: "handler threw",
  },
  EBUS_HANDLER_TIMEOUT: {
    Class: HandlerTimeoutError,
    name: "HandlerTimeoutError",
    make: () => new HandlerTimeoutError("ran past 5 ms", context),
    message: "ran past 5 ms",
  },
  EBUS_WORKER_CRASHED: {
    Class: WorkerCrashedError,
    name: "WorkerCrashedError",
    make: () => new WorkerCrashedError("thread exited", context),
    message: "thread exited",
  },
  EBUS_NOT_CLONEABLE: {
    Class: NotCloneableError,
    name: "NotCloneableError",
    make: () => new NotCloneableError("a function", context),
    message: "a function",
  },
  EBUS_TRANSPORT: {
    Class: TransportError,
    name: "TransportError",
    make: () => new TransportError("publish failed", context),
    message: "publish failed",
  },
  EBUS_WAIT_TIMEOUT: {
    Class: WaitTimeoutError,
    name: "WaitTimeoutError",
    make: () => new WaitTimeoutError("no event within 5 ms", context),
    message: "no event within 5 ms",
  },
  EBUS_ALREADY_BRIDGED: {
    Class: AlreadyBridgedError,
    name: "AlreadyBridgedError",
    make: () => new AlreadyBridgedError(),
    message: "this bus is already bridged: one bridge at a time; close it (await bridge.close()) before bridging again",
  },
  EBUS_WORKER_ENTRY_MISSING: {
    Class: WorkerEntryMissingError,
    name: "WorkerEntryMissingError",
    make: () => new WorkerEntryMissingError("build the package"),
    message: "build the package",
  },
};

describe("error classes", () => {
  for (const [code, row] of Object.entries(table) as [BusErrorCode, Row][]) {
    it(`${row.name}: code ${code}`, () => {
      const err = row.make();
      expect(err).toBeInstanceOf(row.Class);
      expect(err).toBeInstanceOf(BusError);
      expect(err).toBeInstanceOf(Error);
      expect(err.code).toBe(code);
      expect(err.name).toBe(row.name);
      expect(err.message).toBe(row.message);
      expect(String(err)).toBe(`${row.name}: ${row.message}`);
      expect(err.stack).toContain(row.name);
    });
  }

  it("delivery errors carry the subscription, its pattern and the cause", () => {
    for (const Class of [
      HandlerFailedError,
      HandlerTimeoutError,
      WorkerCrashedError,
      NotCloneableError,
      TransportError,
      WaitTimeoutError,
    ]) {
      const err = new Class("m", context);
      expect(err).toMatchObject({ subscriptionId: "sub-1", pattern: "task.*", cause: context.cause });
    }
  });

  it("each class has its own code: no two rows share a class or a name", () => {
    const rows = Object.values(table);
    expect(new Set(rows.map((r) => r.Class)).size).toBe(rows.length);
    expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
  });

  it("the README's error table lists every code with its class", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    for (const [code, row] of Object.entries(table))
      expect(readme).toMatch(new RegExp(`\\| \`${code}\` \\| \`${row.name}\` \\|`));
  });
});
