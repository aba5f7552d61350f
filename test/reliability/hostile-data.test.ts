/**
 * Hostile event data and hostile handlers: data with getters that throw, cyclic and shared data
 * and prototype-polluting keys, in-process and offloaded; and handlers that re-emit the event they
 * handle, stopped by the nesting limit (EBUS_RECURSION_LIMIT) rather than the stack, with no
 * unhandled rejection.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Event, EventBus, offload } from "../../src/index.js";
import { until } from "../support/async.js";
import { useBuses } from "../support/buses.js";
import { HANDLERS, type Report } from "../support/offload.js";

interface Inspection extends Report {
  plainProto: boolean;
  ownKeys: string[];
  cycle: boolean;
  shared: boolean;
  polluted: number;
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
beforeAll(() => void process.on("unhandledRejection", onUnhandled));
afterAll(() => void process.off("unhandledRejection", onUnhandled));

const { watched } = useBuses({ closeTimeoutMs: 2000 });
afterEach(() => {
  unhandled.length = 0;
});

/** Lets pending rejections surface as unhandled before the check. */
async function drainTurns(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

function withThrowingGetter(n: number): Record<string, unknown> {
  return Object.defineProperty({ n, action: "inspect" }, "secret", {
    enumerable: true,
    get() {
      throw new Error("getter throws");
    },
  });
}

function cyclic(n: number): Record<string, unknown> {
  const data: Record<string, unknown> = { n, action: "inspect" };
  data.self = data;
  data.list = [data, { back: data }];
  return data;
}

describe("data with getters that throw", () => {
  it("in-process: the emit goes through; only a handler that reads the getter fails", async () => {
    const { bus, errors } = watched();
    bus.subscribe("data.*", () => undefined);
    bus.subscribe("data.*", (e) => e.data.secret);
    const result = await bus.emit(new Event("data.getter", "test", withThrowingGetter(0)));
    expect(result).toMatchObject({ matched: 2, delivered: 1, failed: 1 });
    expect(errors.map((e) => e.code)).toEqual(["EBUS_HANDLER_FAILED"]);
    expect(bus.getHistory()).toHaveLength(1);
  });
});

describe("cyclic data", () => {
  it("in-process: delivered, in history and counted", async () => {
    const { bus } = watched();
    let seen: unknown = null;
    bus.subscribe("data.*", (e) => void (seen = e.data.self));
    const event = new Event("data.cycle", "test", cyclic(0));
    expect(await bus.emit(event)).toMatchObject({ delivered: 1, failed: 0 });
    expect(seen).toBe(event.data);
    expect(bus.getHistory()[0]).toBe(event);
  });

  it("offloaded: an object reached twice stays one object, and a graph of shared nodes crosses as it is", async () => {
    const { bus, reports } = watched();
    bus.subscribe("data.*", offload(HANDLERS, "act"));
    // 41 objects, 2^40 paths from the top: JSON would copy every path (it did, for ever).
    let node: Record<string, unknown> = { leaf: true };
    for (let d = 0; d < 40; d++) node = { left: node, right: node };
    const data = { n: 0, action: "inspect", ...node };
    expect(await bus.emit(new Event("data.shared", "test", data))).toMatchObject({ delivered: 1, failed: 0 });
    await until(() => reports.length === 1, { message: "the worker's report" });
    expect((reports[0] as Inspection).shared).toBe(true);
  });

  it("offloaded: structured clone keeps the cycle and the worker sees it", async () => {
    const { bus, reports } = watched();
    bus.subscribe("data.*", offload(HANDLERS, "act"));
    expect(await bus.emit(new Event("data.cycle", "test", cyclic(0)))).toMatchObject({ delivered: 1, failed: 0 });
    await until(() => reports.length === 1, { message: "the worker's report" });
    expect((reports[0] as Inspection).cycle).toBe(true);
  });
});

describe("prototype-polluting keys, offloaded", () => {
  it("__proto__ and constructor.prototype in data arrive as own keys and pollute no thread", async () => {
    const { bus, reports } = watched();
    bus.subscribe("data.*", offload(HANDLERS, "act"));
    const protoKeys = Object.getOwnPropertyNames(Object.prototype).length;
    const wire =
      '{"event_id":"p1","event_type":"data.proto","source":"s","timestamp":"2026-01-01T00:00:00Z","data":{"n":0,"action":"inspect","__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}}}}';
    const result = await bus.emit(Event.fromDict(JSON.parse(wire)));
    expect(result).toMatchObject({ delivered: 1, failed: 0 });
    await until(() => reports.length === 1, { message: "the worker's report" });
    const seen = reports[0] as Inspection;
    expect(seen.plainProto).toBe(true);
    expect(seen.ownKeys.sort()).toEqual(["__proto__", "action", "constructor", "n"]);
    expect(seen.polluted).toBe(protoKeys);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

type ReEmitter = (bus: EventBus) => (e: Event) => unknown;

/** A handler of "loop" that re-emits its event through `make`: the nesting limit stops it, not the stack. */
async function expectStoppedByTheLimit(maxNesting: number | undefined, make: ReEmitter): Promise<void> {
  const { bus, errors } = watched(maxNesting === undefined ? {} : { maxNesting });
  const limit = maxNesting ?? 64;
  let calls = 0;
  const handler = make(bus);
  bus.subscribe("loop", (e) => {
    calls++;
    return handler(e);
  });
  const result = await bus.emit(new Event("loop", "test"));
  expect(result.matched).toBe(1);
  await drainTurns();
  const codes = errors.map((e) => e.code);
  expect(codes).toContain("EBUS_RECURSION_LIMIT");
  // Stopped by the limit, not by the stack: no RangeError anywhere.
  expect(errors.filter((e) => e.cause instanceof RangeError)).toEqual([]);
  expect(codes.every((c) => c === "EBUS_RECURSION_LIMIT" || c === "EBUS_HANDLER_FAILED")).toBe(true);
  expect(calls).toBeGreaterThanOrEqual(limit);
  expect(unhandled).toEqual([]);
  // The bus is still usable, its nesting counter back at zero.
  bus.subscribe("after", () => undefined);
  expect(await bus.emit(new Event("after", "test"))).toMatchObject({ delivered: 1 });
}

const NESTING_LIMITS = [undefined, 5, 500];

describe("a handler that re-emits the event it handles", () => {
  const variants: [string, ReEmitter][] = [
    ["sync, not awaiting", (bus) => (e) => void bus.emit(e)],
    ["async, awaiting", (bus) => async (e) => bus.emit(e)],
    ["async, not awaiting", (bus) => async (e) => void bus.emit(e)],
  ];
  for (const maxNesting of NESTING_LIMITS) {
    it.each(variants)(`is stopped at maxNesting ${maxNesting ?? "64 (default)"}: %s`, (_, make) =>
      expectStoppedByTheLimit(maxNesting, make),
    );
  }
});

describe("regressions", () => {
  // 2cc1729: emitMany wrapped the re-emits in a Promise.all whose EBUS_RECURSION_LIMIT rejection
  // nobody handled: an unhandled rejection.
  const throughEmitMany: [string, ReEmitter][] = [["sync, through emitMany", (bus) => (e) => void bus.emitMany([e])]];
  for (const maxNesting of NESTING_LIMITS) {
    it.each(throughEmitMany)(
      `a handler that re-emits its event is stopped at maxNesting ${maxNesting ?? "64 (default)"}: %s (2cc1729)`,
      (_, make) => expectStoppedByTheLimit(maxNesting, make),
    );
  }

  // d716bb1: a throwing getter made postMessage throw its own error: the whole batch was resent three times,
  // then failed with EBUS_WORKER_CRASHED.
  it("data with a throwing getter, offloaded: fails that delivery with EBUS_NOT_CLONEABLE; the rest of its batch is delivered (d716bb1)", async () => {
    const { bus, errors, reports } = watched({ workers: { maxThreads: 2 } });
    bus.subscribe("data.*", offload(HANDLERS, "act"));
    const events = [0, 1, 2, 3, 4].map(
      (n) => new Event("data.x", "test", n === 2 ? withThrowingGetter(n) : { n, action: "ok" }),
    );
    const results = await bus.emitMany(events);
    expect(results.map((r) => r.errors[0]?.code ?? null)).toEqual([null, null, "EBUS_NOT_CLONEABLE", null, null]);
    expect(errors.map((e) => e.code)).toEqual(["EBUS_NOT_CLONEABLE"]);
    await until(() => reports.length >= 4, { message: "four reports" });
    expect(reports.map((r) => r.n).sort()).toEqual([0, 1, 3, 4]);
    const after = await bus.emit(new Event("data.x", "test", { n: 5, action: "ok" }));
    expect(after.delivered).toBe(1);
    expect(bus.getStats().workers).toMatchObject({ completed: 5, failed: 1 });
  });

  // 337b19b: maxNesting accepted up to 10,000, past the depth where the stack overflows (near 2,200).
  it("a maxNesting deep enough to overflow the stack is refused (337b19b)", () => {
    expect(() => new EventBus({ maxNesting: 10_000 })).toThrow(
      expect.objectContaining({ code: "EBUS_INVALID_OPTIONS" }),
    );
  });
});
