/**
 * Construction, argument validation, emitMany, and scale (20,000 subscriptions).
 */
import { describe, expect, it } from "vitest";
import { Event, EventBus, InvalidOptionsError } from "../../src/index.js";
import { expectCode, expectRejectCode } from "../support/assertions.js";
import { ticks } from "../support/async.js";
import { useBuses } from "../support/buses.js";

const newBus = useBuses();
const noop = (): void => {};

describe("options", () => {
  it("refuses a misspelt option with EBUS_INVALID_OPTIONS, the zod issues as cause", () => {
    const err = expectCode(() => new EventBus({ maxHistroy: 5 } as never), "EBUS_INVALID_OPTIONS");
    expect(err).toBeInstanceOf(InvalidOptionsError);
    expect(Array.isArray(err.cause)).toBe(true);
    const issues = err.cause as { code: string; keys?: string[] }[];
    expect(issues.some((i) => i.code === "unrecognized_keys" && i.keys?.includes("maxHistroy") === true)).toBe(true);
  });

  it.each([
    ["negative maxHistory", { maxHistory: -1 }],
    ["fractional maxHistory", { maxHistory: 1.5 }],
    ["string maxHistory", { maxHistory: "10" }],
    ["non-function onError", { onError: "log" }],
    ["logger without error()", { logger: { info: noop } }],
    ["stats of the wrong type", { stats: "yes" }],
    ["misspelt stats option", { stats: { sampleEvry: 2 } }],
    ["zero sampleEvery", { stats: { sampleEvery: 0 } }],
    ["zero typeCapacity", { stats: { typeCapacity: 0 } }],
    ["misspelt workers option", { workers: { maxThread: 2 } }],
    ["minThreads above maxThreads", { workers: { minThreads: 3, maxThreads: 2 } }],
    ["zero maxNesting", { maxNesting: 0 }],
    ["empty nodeId", { nodeId: "" }],
    ["nodeId with a space", { nodeId: "node 1" }],
    ["options that are not an object", 5],
    ["options that are an array", []],
  ])("refuses %s", (_name, options) => {
    const err = expectCode(() => new EventBus(options as never), "EBUS_INVALID_OPTIONS");
    expect(err.cause).toBeDefined();
  });

  it("accepts the documented options", async () => {
    const bus = newBus({
      maxHistory: 0,
      onError: noop,
      logger: { error: noop },
      stats: { sampleEvery: 1, typeCapacity: 8 },
      workers: { minThreads: 0, maxThreads: 2, idleTimeout: 1000, maxQueue: 10, batchSize: 4, batchDelayMs: 0 },
      nodeId: "node-1",
      maxNesting: 8,
    });
    expect(bus.nodeId).toBe("node-1");
    expect(newBus({ stats: true }).getStats().maxHistory).toBe(1000);
    expect(newBus(undefined).getSubscriptionCount()).toBe(0);
  });
});

describe("subscribe arguments", () => {
  it.each([undefined, null, "handler", 42, {}, { handle: noop }, Promise.resolve()])(
    "refuses the handler %j with EBUS_INVALID_HANDLER",
    (handler) => {
      const bus = newBus();
      expectCode(() => bus.subscribe("a", handler as never), "EBUS_INVALID_HANDLER");
      expect(bus.getSubscriptionCount()).toBe(0);
    },
  );

  it.each([[{ filter: "x" }], [{ signal: {} }], [{ once: "yes" }], [{ fitler: noop }]])(
    "refuses the options %j with EBUS_INVALID_OPTIONS",
    (options) => {
      const bus = newBus();
      expectCode(() => bus.subscribe("a", noop, options as never), "EBUS_INVALID_OPTIONS");
      expect(bus.getSubscriptionCount()).toBe(0);
    },
  );

  it("returns a distinct non-empty id per subscription; unsubscribe is true once", () => {
    const bus = newBus();
    const ids = Array.from({ length: 100 }, () => bus.subscribe("a", noop));
    expect(new Set(ids).size).toBe(100);
    for (const id of ids) expect(id.length).toBeGreaterThan(0);
    expect(bus.unsubscribe(ids[0]!)).toBe(true);
    expect(bus.unsubscribe(ids[0]!)).toBe(false);
    expect(bus.unsubscribe("")).toBe(false);
    expect(bus.unsubscribe("__proto__")).toBe(false);
  });

  it("the same handler subscribed twice is called twice", async () => {
    const bus = newBus();
    let calls = 0;
    const handler = (): void => void calls++;
    bus.subscribe("a", handler);
    bus.subscribe("a", handler);
    await bus.emit(new Event("a", "s"));
    expect(calls).toBe(2);
  });
});

describe("emit and emitMany input", () => {
  it.each([null, undefined, "task.completed", { eventType: "a", source: "s", data: {} }, new Event("a", "s").toDict()])(
    "emit rejects %j with EBUS_INVALID_EVENT",
    async (input) => {
      const bus = newBus();
      await expectRejectCode(bus.emit(input as never), "EBUS_INVALID_EVENT");
      expect(bus.getHistory()).toEqual([]);
      expect(bus.getStats().totalEventsEmitted).toBe(0);
    },
  );

  it("emitMany invokes handlers in the order of the events and resolves with results in that order", async () => {
    const bus = newBus();
    const seen: string[] = [];
    bus.subscribe("*", async (e) => {
      seen.push(`start ${e.source}`);
      await ticks(e.source === "1" ? 3 : 1);
      seen.push(`end ${e.source}`);
    });
    bus.subscribe("b", (e) => void seen.push(`b ${e.source}`));
    const events = [new Event("a", "1"), new Event("b", "2"), new Event("a", "3")];
    const results = await bus.emitMany(events);
    expect(seen.filter((s) => !s.startsWith("end"))).toEqual(["start 1", "start 2", "b 2", "start 3"]);
    expect(seen.filter((s) => s.startsWith("end"))).toHaveLength(3);
    expect(results.map((r) => r.eventId)).toEqual(events.map((e) => e.eventId));
    expect(results.map((r) => r.matched)).toEqual([1, 2, 1]);
    expect(bus.getHistory()).toEqual(events);
  });

  it("emitMany accepts any iterable, and an empty one", async () => {
    const bus = newBus();
    function* gen(): Generator<Event> {
      yield new Event("a", "s");
      yield new Event("b", "s");
    }
    expect(await bus.emitMany(gen())).toHaveLength(2);
    expect(await bus.emitMany(new Set([new Event("c", "s")]))).toHaveLength(1);
    expect(await bus.emitMany([])).toEqual([]);
    expect(bus.getHistory().map((e) => e.eventType)).toEqual(["a", "b", "c"]);
  });

  it("emitMany rejects a bad item with EBUS_INVALID_EVENT before emitting anything", async () => {
    const bus = newBus();
    let calls = 0;
    bus.subscribe("*", () => void calls++);
    const items = [new Event("a", "s"), new Event("b", "s"), { eventType: "c" }];
    await expectRejectCode(bus.emitMany(items as never), "EBUS_INVALID_EVENT");
    expect(calls).toBe(0);
    expect(bus.getHistory()).toEqual([]);
    expect(bus.getStats().totalEventsEmitted).toBe(0);
  });

  it.each([null, undefined, 5, "ab", new Event("a", "s")])(
    "emitMany rejects the non-iterable %j with EBUS_INVALID_EVENT",
    async (input) => {
      const bus = newBus();
      await expectRejectCode(bus.emitMany(input as never), "EBUS_INVALID_EVENT");
      expect(bus.getHistory()).toEqual([]);
    },
  );
});

describe("scale", () => {
  it("20,000 subscriptions with distinct patterns: emit delivers exactly the right ones", async () => {
    const bus = newBus();
    const hits: number[] = [];
    // Four shapes per i: exact, one-level, prefix, interior star.
    for (let i = 0; i < 5000; i++) {
      bus.subscribe(`svc${i}.done`, () => void hits.push(i * 4));
      bus.subscribe(`svc${i}.*`, () => void hits.push(i * 4 + 1));
      bus.subscribe(`svc${i}.d*`, () => void hits.push(i * 4 + 2));
      bus.subscribe(`*.svc${i}.x`, () => void hits.push(i * 4 + 3));
    }
    expect(bus.getSubscriptionCount()).toBe(20_000);
    expect(bus.getStats().patterns).toHaveLength(20_000);
    const expectations: [string, number[]][] = [
      ["svc42.done", [168, 169, 170]],
      ["svc42.dx.y", [169, 170]],
      ["svc42.other", [169]],
      ["svc4.done", [16, 17, 18]], // not svc42 or svc4999: segments, not string prefixes
      ["any.svc4999.x", [19999]],
      ["any.svc4999.x.y", []],
      ["svc5000.done", []],
      ["svc.done", []],
    ];
    for (const [topic, want] of expectations) {
      hits.length = 0;
      const result = await bus.emit(new Event(topic, "s"));
      expect(hits, topic).toEqual(want);
      expect(result.matched).toBe(want.length);
    }
  });
});

describe("regressions", () => {
  // ee31326: Array.from ran outside any guard, so emitMany threw synchronously.
  it("emitMany rejects (does not throw) when iterating the events throws, and emits nothing (ee31326)", async () => {
    const bus = newBus();
    function* failing(): Generator<Event> {
      yield new Event("a", "s");
      throw new Error("iteration failed");
    }
    let returned: Promise<unknown> | undefined;
    expect(() => {
      returned = bus.emitMany(failing());
    }).not.toThrow();
    await expectRejectCode(returned!, "EBUS_INVALID_EVENT");
    expect(bus.getHistory()).toEqual([]);
  });

  // 357094c: copy-on-write entry lists made subscribing N handlers to one pattern O(N^2) (~15 s here; pinned
  // by the test timeout).
  it("20,000 subscriptions to one pattern: all called in order, then all unsubscribed (357094c)", async () => {
    const bus = newBus();
    const order: number[] = [];
    const ids = Array.from({ length: 20_000 }, (_, i) => bus.subscribe("task.*", () => void order.push(i)));
    expect(bus.getSubscriptionCount("task.*")).toBe(20_000);
    const result = await bus.emit(new Event("task.completed", "s"));
    expect(result.delivered).toBe(20_000);
    expect(order).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
    for (const id of ids.filter((_, i) => i % 2 === 0)) expect(bus.unsubscribe(id)).toBe(true);
    order.length = 0;
    await bus.emit(new Event("task.completed", "s"));
    expect(order).toEqual(Array.from({ length: 10_000 }, (_, i) => 2 * i + 1));
    for (const id of ids) bus.unsubscribe(id);
    expect(bus.getSubscriptionCount()).toBe(0);
    expect((await bus.emit(new Event("task.completed", "s"))).matched).toBe(0);
  });
});
