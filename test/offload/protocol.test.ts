/**
 * The wire of a batch: data that JSON carries exactly goes as JSON, anything else by structured
 * clone, so every event's data arrives as structured clone would deliver it.
 */
import { describe, expect, it } from "vitest";
import { Event, offload } from "../../src/index.js";
import { HandlerCost } from "../../src/offload/batching.js";
import { Job } from "../../src/offload/job.js";
import { decodeData, encodeBatch, eventAt, isJsonExact } from "../../src/offload/protocol.js";
import { HANDLERS } from "../support/offload.js";

describe("isJsonExact", () => {
  it("accepts plain data JSON round-trips unchanged", () => {
    for (const value of [
      {},
      { a: 1, b: "x", c: [1, "2", null, true], d: { e: { f: -1.5 } } },
      Object.create(null) as object,
      JSON.parse('{"__proto__": 1}') as object,
      "\ud800",
    ]) {
      expect(isJsonExact(value)).toBe(true);
      expect(JSON.parse(JSON.stringify(value))).toStrictEqual(structuredClone(value));
    }
  });

  it("refuses what JSON would change or drop", () => {
    const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays
    const extra = Object.assign([1, 2], { tag: "x" });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const cases: unknown[] = [
      -0,
      NaN,
      Infinity,
      undefined,
      { a: undefined },
      new Date(0),
      new Map(),
      new Set(),
      new Uint8Array(2),
      1n,
      sparse,
      extra,
      cycle,
      { f: () => 1 },
      new (class Point {})(),
    ];
    for (const value of cases) expect(isJsonExact({ value })).toBe(false);
  });

  it("refuses an object reached twice (structured clone keeps it one; JSON would copy it), not equal copies", () => {
    const part = { x: 1 };
    const list = [1, 2];
    expect(isJsonExact({ a: part, b: part })).toBe(false);
    expect(isJsonExact({ a: [list], b: { c: list } })).toBe(false);
    expect(isJsonExact([part, part])).toBe(false);
    expect(isJsonExact({ a: { x: 1 }, b: { x: 1 }, c: [[1], [1]] })).toBe(true);
    // Each call starts afresh: an object met by an earlier call is no repeat.
    expect(isJsonExact({ a: part })).toBe(true);
    expect(isJsonExact({ a: part })).toBe(true);
    // A getter that checks other data meanwhile (by emitting, say) does not hide a repeat.
    const reentrant = {
      a: part,
      get g() {
        return isJsonExact({ other: { y: 2 } }) ? 1 : 0;
      },
      b: part,
    };
    expect(isJsonExact(reentrant)).toBe(false);
  });

  it("throws what a getter throws, for the caller to send the data by structured clone", () => {
    const hostile = Object.defineProperty({}, "boom", {
      enumerable: true,
      get: () => {
        throw new Error("getter");
      },
    });
    expect(() => isJsonExact(hostile)).toThrow("getter");
  });
});

describe("a batch on the wire", () => {
  const first = offload(HANDLERS, "act");
  const second = offload(HANDLERS, "act", { timeoutMs: 500 });
  const job = (handler: typeof first, event: Event): Job<null> =>
    new Job(handler, new HandlerCost(), "s", "*", event, null);

  it("rebuilds every event of a mixed batch exactly: types, sources, handlers, times, ids and data", () => {
    const shared = new SharedArrayBuffer(4);
    const events = [
      new Event("order.placed", "shop", { id: 1, tags: ["a"] }, new Date(1_000)),
      new Event("order.placed", "shop", { when: new Date(7) }, new Date(2_000)),
      new Event("order.shipped", "depot", { id: 1 }, new Date(3_000), "custom-id"),
      new Event("order.placed", "depot", { map: new Map([["k", 1]]), shared }),
      new Event("order.shipped", "shop", {}),
    ];
    const handlers = [first, second, first, second, first];
    const task = encodeBatch(
      events.map((e, i) => job(handlers[i]!, e)),
      new SharedArrayBuffer(64),
      4,
      0,
    );
    // Each distinct type, source and handler is named once.
    expect(task.types).toEqual(["order.placed", "order.shipped"]);
    expect(task.sources).toEqual(["shop", "depot"]);
    expect(task.handlers).toHaveLength(2);
    expect(task.timeouts).toEqual([0, 500, 0, 500, 0]);
    // What JSON cannot carry exactly goes by structured clone.
    expect(Object.keys(task.cloned ?? {})).toEqual(["1", "3"]);
    const crossed = structuredClone(task);
    const datas = decodeData(crossed);
    events.forEach((event, i) => {
      const rebuilt = eventAt(crossed, datas, i);
      expect(rebuilt.toDict()).toEqual(event.toDict());
      expect(rebuilt.data).toStrictEqual(structuredClone(event.data));
      expect(crossed.handlers[crossed.handler[i]!]!.module).toBe(handlers[i]!.module);
    });
  });

  it("sends data whose getter answers once and then throws by structured clone, not as a broken batch", () => {
    let reads = 0;
    const flaky = Object.defineProperty({}, "x", {
      enumerable: true,
      get: () => {
        if (++reads > 1) throw new Error("second read");
        return 1;
      },
    });
    const task = encodeBatch(
      [job(first, new Event("a.b", "t", { ok: 1 })), job(first, new Event("a.b", "t", flaky))],
      new SharedArrayBuffer(64),
      4,
      0,
    );
    expect(decodeData(task)[0]).toEqual({ ok: 1 });
    expect(task.cloned?.[1]).toBe(flaky);
  });
});
