/**
 * Isolation and error reporting: a failing handler or filter never stops the others and never
 * rejects emit; every error reaches onError, else the logger, else stderr once per subscription
 * and code. Synchronous re-emits are bounded by maxNesting.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  BusError,
  Event,
  RecursionLimitError,
  type BridgeHost,
  type BridgeLink,
  type Logger,
} from "../../src/index.js";
import { MemoryNetwork, MemoryTransport } from "../support/memory-transport.js";
import { expectRejectCode } from "../support/assertions.js";
import { ticks, until } from "../support/async.js";
import { useBuses } from "../support/buses.js";

const newBus = useBuses();

afterEach(() => {
  vi.restoreAllMocks();
});

/** Spies on process.stderr.write, keeping the bus's lines and swallowing them. */
function spyStderr(): { lines: () => string[] } {
  const spy = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  return {
    lines: () =>
      spy.mock.calls
        .map((call) => String(call[0]))
        .filter((line) => line.includes("EBUS_") || line.includes("onError")),
  };
}

describe("isolation", () => {
  it("a throwing or rejecting handler never stops the others and never rejects emit", async () => {
    const bus = newBus({ onError: () => {} });
    const calls: string[] = [];
    const thrown = new Error("sync boom");
    const rejected = new TypeError("async boom");
    const idThrow = bus.subscribe("task.*", () => {
      calls.push("throw");
      throw thrown;
    });
    const idReject = bus.subscribe("*", async () => {
      calls.push("reject");
      throw rejected;
    });
    bus.subscribe("task.completed", () => void calls.push("ok"));
    const result = await bus.emit(new Event("task.completed", "s"));
    expect(calls).toEqual(["throw", "reject", "ok"]);
    expect(result).toMatchObject({ matched: 3, delivered: 1, filtered: 0, failed: 2 });
    const [first, second] = result.errors;
    expect(first).toBeInstanceOf(BusError);
    expect(first).toMatchObject({ code: "EBUS_HANDLER_FAILED", subscriptionId: idThrow, pattern: "task.*" });
    expect(first!.cause).toBe(thrown);
    expect(second).toMatchObject({ code: "EBUS_HANDLER_FAILED", subscriptionId: idReject, pattern: "*" });
    expect(second!.cause).toBe(rejected);
  });

  it("handlers that throw non-errors are failures too, with what they threw as cause", async () => {
    const bus = newBus({ onError: () => {} });
    const values = ["text", 42, null, undefined, { odd: true }];
    for (const value of values) {
      bus.subscribe("a", () => {
        throw value;
      });
      bus.subscribe("a", () => Promise.reject(value));
    }
    const result = await bus.emit(new Event("a", "s"));
    expect(result.failed).toBe(values.length * 2);
    // errors come in the order the failures happened (sync throws before rejections)
    const causes = result.errors.map((e) => e.cause);
    for (const value of values) expect(causes.filter((c) => c === value)).toHaveLength(2);
    for (const err of result.errors) expect(err.code).toBe("EBUS_HANDLER_FAILED");
  });

  it("values that cannot be turned into text (no prototype, a throwing toString or message, a revoked Proxy) fail alone", async () => {
    const errors: BusError[] = [];
    const bus = newBus({ onError: (e) => errors.push(e) });
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const unprintable = [
      Object.create(null) as object,
      {
        toString() {
          throw new Error("no text");
        },
      },
      Object.defineProperty(new Error("x"), "message", {
        get() {
          throw new Error("no message");
        },
      }),
      proxy,
    ];
    let last = 0;
    for (const value of unprintable) {
      bus.subscribe("a", () => {
        throw value;
      });
      bus.subscribe("a", async () => {
        throw value;
      });
      bus.subscribe("a", () => {}, {
        filter: () => {
          throw value;
        },
      });
    }
    bus.subscribe("a", () => void last++);
    const result = await bus.emit(new Event("a", "s"));
    expect(result.failed).toBe(unprintable.length * 3);
    expect(result.delivered).toBe(1);
    expect(last).toBe(1);
    for (const err of result.errors) {
      expect(err.code).toBe("EBUS_HANDLER_FAILED");
      expect(err.message).toMatch(/that cannot be turned into text|Error/);
    }
    expect(errors).toHaveLength(unprintable.length * 3);
    expect(bus.getStats().inFlight).toBe(0);

    // An onError that throws such a value does not reach the emitter either.
    const spy = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const strict = newBus({
      onError: () => {
        throw Object.create(null);
      },
    });
    strict.subscribe("b", () => {
      throw new Error("plain");
    });
    await expect(strict.emit(new Event("b", "s"))).resolves.toMatchObject({ failed: 1 });
    expect(spy.mock.calls.map((c) => String(c[0])).join("")).toMatch(/onError threw: .*cannot be turned into text/);
  });

  it("a failed filter names its subscription and pattern", async () => {
    const bus = newBus({ onError: () => {} });
    const cause = new Error("filter broke");
    const id = bus.subscribe("ta*", () => {}, {
      filter: () => {
        throw cause;
      },
    });
    const result = await bus.emit(new Event("task", "s"));
    expect(result.errors[0]).toMatchObject({ code: "EBUS_HANDLER_FAILED", subscriptionId: id, pattern: "ta*" });
    expect(result.errors[0]!.cause).toBe(cause);
  });
});

describe("error reporting", () => {
  it("onError receives every error, the same objects as EmitResult.errors", async () => {
    const reported: BusError[] = [];
    const bus = newBus({ onError: (err) => void reported.push(err) });
    bus.subscribe("a", () => {
      throw new Error("1");
    });
    bus.subscribe("a", async () => Promise.reject(new Error("2")));
    const all: BusError[] = [];
    for (let i = 0; i < 3; i++) all.push(...(await bus.emit(new Event("a", "s"))).errors);
    expect(all).toHaveLength(6);
    expect(reported).toHaveLength(6);
    expect(new Set(reported)).toEqual(new Set(all));
  });

  it("an onError that throws does not break emit or the other handlers", async () => {
    const stderr = spyStderr();
    const bus = newBus({
      onError: () => {
        throw new Error("reporter broke");
      },
    });
    let ok = 0;
    bus.subscribe("a", () => {
      throw new Error("x");
    });
    bus.subscribe("a", async () => Promise.reject(new Error("y")));
    bus.subscribe("a", () => void ok++);
    const result = await bus.emit(new Event("a", "s"));
    expect(result).toMatchObject({ matched: 3, delivered: 1, failed: 2 });
    expect(ok).toBe(1);
    expect(stderr.lines().length).toBeGreaterThanOrEqual(1); // the reporter's failure is not silent
  });

  it("an async onError that rejects (an alerting service down) does not crash the process; the error goes on to the logger", async () => {
    const crashes: unknown[] = [];
    const onCrash = (err: unknown): void => void crashes.push(err);
    process.on("unhandledRejection", onCrash);
    try {
      const logged: { code: string; reporterFailure?: string }[] = [];
      const bus = newBus({
        onError: async () => {
          await Promise.resolve();
          throw new Error("alerting service down");
        },
        logger: { error: (obj) => void logged.push(obj as { code: string; reporterFailure?: string }) },
      });
      bus.subscribe("a", () => {
        throw new Error("handler bug");
      });
      expect((await bus.emit(new Event("a", "s"))).failed).toBe(1);
      await until(() => logged.length === 1, { timeoutMs: 2000, intervalMs: 5, message: "the logger gets it" });
      expect(logged[0]).toMatchObject({
        code: "EBUS_HANDLER_FAILED",
        reporterFailure: "onError rejected: Error: alerting service down",
      });
      await new Promise((resolve) => setImmediate(resolve));
      expect(crashes).toEqual([]);
    } finally {
      process.off("unhandledRejection", onCrash);
    }
  });

  it("an onError that throws hands every later error on too, to stderr once per subscription and code, with the original message", async () => {
    const stderr = spyStderr();
    const bus = newBus({
      onError: () => {
        throw new Error("onError bug");
      },
    });
    bus.subscribe("a.b", () => {
      throw new Error("A");
    });
    bus.subscribe("a.c", async () => Promise.reject(new Error("C")));
    for (let i = 0; i < 2; i++) {
      await bus.emit(new Event("a.b", "s"));
      await bus.emit(new Event("a.c", "s"));
    }
    const text = stderr.lines().join("\n");
    expect(stderr.lines()).toHaveLength(2); // once per subscription and code
    expect(text).toMatch(/EBUS_HANDLER_FAILED: .*A \(onError threw: Error: onError bug\)/);
    expect(text).toMatch(/EBUS_HANDLER_FAILED: .*C \(onError threw: Error: onError bug\)/);
  });

  it("a reporter returning a value whose `then` cannot be read counts as one that threw: emit still resolves", async () => {
    const logged: string[] = [];
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    for (const weird of [
      {
        get then(): never {
          throw new Error("then getter");
        },
      },
      revoked.proxy,
    ]) {
      const bus = newBus({
        onError: () => weird as never,
        logger: { error: (obj) => void logged.push((obj as { code: string }).code) },
      });
      bus.subscribe("a.*", () => {
        throw new Error("sync boom");
      });
      bus.subscribe("a.*", async () => Promise.reject(new Error("async boom")));
      await expect(bus.emit(new Event("a.b", "s"))).resolves.toMatchObject({ failed: 2 });
    }
    expect(logged).toEqual([
      "EBUS_HANDLER_FAILED",
      "EBUS_HANDLER_FAILED",
      "EBUS_HANDLER_FAILED",
      "EBUS_HANDLER_FAILED",
    ]);
  });

  it("a logger whose info/debug/warn reject (async) crashes nothing, also when a transport logs through the bus", async () => {
    const crashes: unknown[] = [];
    const onCrash = (err: unknown): void => void crashes.push(err);
    process.on("unhandledRejection", onCrash);
    try {
      const down = async (): Promise<void> => {
        await Promise.resolve();
        throw new Error("log sink down");
      };
      const bus = newBus({ logger: { error: () => {}, warn: down, info: down, debug: down } });
      const id = bus.subscribe("a.*", () => {});
      await bus.emit(new Event("a.b", "s"));
      bus.unsubscribe(id);
      // A transport that logs through the host while it attaches.
      const transport = new (class extends MemoryTransport {
        override attach(host: BridgeHost): Promise<BridgeLink> {
          host.logger?.warn?.({ nodeId: host.nodeId }, "the transport warns");
          host.logger?.error({ nodeId: host.nodeId }, "and errs");
          return super.attach(host);
        }
      })(new MemoryNetwork());
      await bus.bridge(transport);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(crashes).toEqual([]);
    } finally {
      process.off("unhandledRejection", onCrash);
    }
  });

  it("a logger whose error() rejects falls back to stderr, without crashing the process", async () => {
    const stderr = spyStderr();
    const crashes: unknown[] = [];
    const onCrash = (err: unknown): void => void crashes.push(err);
    process.on("unhandledRejection", onCrash);
    try {
      const bus = newBus({ logger: { error: () => Promise.reject(new Error("log shipper down")) as never } });
      bus.subscribe("a", () => {
        throw new Error("x");
      });
      await bus.emit(new Event("a", "s"));
      await until(() => stderr.lines().length === 1, { timeoutMs: 2000, intervalMs: 5, message: "stderr gets it" });
      expect(stderr.lines()[0]).toMatch(/EBUS_HANDLER_FAILED: .*\(the logger rejected: Error: log shipper down\)/);
      await new Promise((resolve) => setImmediate(resolve));
      expect(crashes).toEqual([]);
    } finally {
      process.off("unhandledRejection", onCrash);
    }
  });

  it("with a logger and no onError, every error goes to logger.error", async () => {
    const stderr = spyStderr();
    const logger = { error: vi.fn<Logger["error"]>() };
    const bus = newBus({ logger });
    const id = bus.subscribe("a", () => {
      throw new Error("x");
    });
    await bus.emit(new Event("a", "s"));
    await bus.emit(new Event("a", "s"));
    expect(logger.error).toHaveBeenCalledTimes(2);
    const [obj] = logger.error.mock.calls[0]!;
    expect(obj).toMatchObject({ code: "EBUS_HANDLER_FAILED", subscriptionId: id, pattern: "a" });
    expect(stderr.lines()).toEqual([]);
  });

  it("with both, onError gets the errors and the logger's error level does not", async () => {
    const logger = { error: vi.fn<Logger["error"]>() };
    const onError = vi.fn();
    const bus = newBus({ logger, onError });
    bus.subscribe("a", () => {
      throw new Error("x");
    });
    await bus.emit(new Event("a", "s"));
    expect(onError).toHaveBeenCalledTimes(1);
    expect(logger.error).not.toHaveBeenCalled();
  });

  it("with neither, writes to stderr once per subscription and code", async () => {
    const stderr = spyStderr();
    const bus = newBus();
    bus.subscribe("a", () => {
      throw new Error("x");
    });
    bus.subscribe("a", async () => Promise.reject(new Error("y")));
    for (let i = 0; i < 5; i++) expect((await bus.emit(new Event("a", "s"))).failed).toBe(2);
    const lines = stderr.lines();
    expect(lines).toHaveLength(2);
    expect(lines.every((line) => line.includes("EBUS_HANDLER_FAILED"))).toBe(true);
  });

  it("with neither, a second code of the same subscription is printed once more", async () => {
    const stderr = spyStderr();
    const bus = newBus();
    let hang = false;
    bus.subscribe("a", () => {
      if (hang) return new Promise(() => {});
      throw new Error("x");
    });
    await bus.emit(new Event("a", "s"));
    await bus.emit(new Event("a", "s"));
    hang = true;
    const pending = [bus.emit(new Event("a", "s")), bus.emit(new Event("a", "s"))];
    await bus.close({ timeoutMs: 1 });
    const results = await Promise.all(pending);
    expect(results.map((r) => r.errors[0]?.code)).toEqual(["EBUS_CLOSED", "EBUS_CLOSED"]);
    const lines = stderr.lines();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain("EBUS_HANDLER_FAILED");
    expect(lines[1]).toContain("EBUS_CLOSED");
  });
});

describe("recursion", () => {
  it("a handler that synchronously re-emits its event is stopped at maxNesting (default 64)", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const reported: BusError[] = [];
      const bus = newBus({ onError: (err) => void reported.push(err) });
      let calls = 0;
      bus.subscribe("loop", (event) => {
        calls++;
        void bus.emit(event); // not awaited: the limit's rejection must not go unhandled
      });
      const result = await bus.emit(new Event("loop", "s"));
      expect(calls).toBe(64);
      expect(result).toMatchObject({ matched: 1, delivered: 1, failed: 0 });
      expect(reported).toHaveLength(1);
      expect(reported[0]).toBeInstanceOf(RecursionLimitError);
      expect(reported[0]!.code).toBe("EBUS_RECURSION_LIMIT");
      // Emits that were refused are not counted or stored.
      expect(bus.getStats().totalEventsEmitted).toBe(64);
      await ticks(3);
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("honours a custom maxNesting, and the refused emit rejects with EBUS_RECURSION_LIMIT", async () => {
    const bus = newBus({ maxNesting: 3, onError: () => {} });
    const inner: Promise<unknown>[] = [];
    bus.subscribe("loop", (event) => {
      inner.push(bus.emit(event));
    });
    await bus.emit(new Event("loop", "s"));
    expect(inner).toHaveLength(3);
    // The innermost emit returns first, so it is pushed first.
    await expectRejectCode(inner[0]!, "EBUS_RECURSION_LIMIT");
    await expect(inner[1]).resolves.toMatchObject({ delivered: 1 });
    await expect(inner[2]).resolves.toMatchObject({ delivered: 1 });
  });

  it("an async handler that awaits its re-emit fails with the limit error as cause; emit never rejects", async () => {
    const reported: BusError[] = [];
    const bus = newBus({ onError: (err) => void reported.push(err) });
    let calls = 0;
    bus.subscribe("loop", async (event) => {
      calls++;
      await bus.emit(event);
    });
    const result = await bus.emit(new Event("loop", "s"));
    expect(calls).toBe(64);
    expect(result.matched).toBe(1);
    expect(result.matched).toBe(result.delivered + result.failed);
    const codes = reported.map((e) => e.code).sort();
    expect(codes).toEqual(["EBUS_HANDLER_FAILED", "EBUS_RECURSION_LIMIT"]);
    const failed = reported.find((e) => e.code === "EBUS_HANDLER_FAILED")!;
    expect((failed.cause as BusError).code).toBe("EBUS_RECURSION_LIMIT");
  });

  it("the nesting count unwinds: sequential and asynchronous re-emits are not limited", async () => {
    const bus = newBus({ maxNesting: 2 });
    let hops = 0;
    bus.subscribe("hop", async (event) => {
      await Promise.resolve(); // no longer nested: the dispatch that called us has returned
      if (++hops < 10) await bus.emit(new Event("hop", event.source));
    });
    await bus.emit(new Event("hop", "s"));
    expect(hops).toBe(10);
    for (let i = 0; i < 5; i++) await expect(bus.emit(new Event("x", "s"))).resolves.toBeDefined();
  });

  it("a re-emit of a different type counts against the same limit", async () => {
    const bus = newBus({ maxNesting: 4, onError: () => {} });
    const seen: string[] = [];
    bus.subscribe("ping", () => {
      seen.push("ping");
      void bus.emit(new Event("pong", "s"));
    });
    bus.subscribe("pong", () => {
      seen.push("pong");
      void bus.emit(new Event("ping", "s"));
    });
    await bus.emit(new Event("ping", "s"));
    expect(seen).toEqual(["ping", "pong", "ping", "pong"]);
  });
});

describe("regressions", () => {
  // bdb9093: then() ran outside deliver()'s try, so a throwing thenable escaped emit and skipped the other handlers.
  it("a handler or filter returning a thenable whose then() throws fails alone; emit still resolves (bdb9093)", async () => {
    const bus = newBus({ onError: () => {} });
    const broken = {
      then: () => {
        throw new Error("broken thenable");
      },
    };
    let ok = 0;
    bus.subscribe("a", () => broken);
    bus.subscribe("a", () => {}, { filter: () => broken as unknown as boolean });
    bus.subscribe("a", () => void ok++);
    const result = await bus.emit(new Event("a", "s"));
    expect(ok).toBe(1);
    expect(result).toMatchObject({ matched: 3, delivered: 1, failed: 2 });
    expect(result.errors.map((e) => e.code)).toEqual(["EBUS_HANDLER_FAILED", "EBUS_HANDLER_FAILED"]);
    expect(bus.getStats().inFlight).toBe(0);
  });

  // 89ad0b4: the reporter returned after the logger threw, and the error was lost instead of reaching stderr.
  it("a logger whose error() throws does not break emit, and the error still reaches stderr (89ad0b4)", async () => {
    const stderr = spyStderr();
    const bus = newBus({
      logger: {
        error: () => {
          throw new Error("logger broke");
        },
      },
    });
    bus.subscribe("a", () => {
      throw new Error("x");
    });
    const result = await bus.emit(new Event("a", "s"));
    expect(result.failed).toBe(1);
    expect(stderr.lines().some((line) => line.includes("EBUS_HANDLER_FAILED"))).toBe(true);
  });
});
