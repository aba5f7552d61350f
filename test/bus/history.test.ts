/**
 * History (a ring buffer) and the subscription counts of the seed.
 */
import { describe, expect, it } from "vitest";
import { Event, type EventBus } from "../../src/index.js";
import { expectCode } from "../support/assertions.js";
import { useBuses } from "../support/buses.js";

const newBus = useBuses();

async function emitAll(bus: EventBus, specs: [string, string][]): Promise<Event[]> {
  const events = specs.map(([type, source]) => new Event(type, source));
  for (const event of events) await bus.emit(event);
  return events;
}

describe("getHistory", () => {
  it("limit gives the last matches of the whole history, whether or not the ring has wrapped", async () => {
    for (const [capacity, emitted] of [
      [50, 30],
      [50, 50],
      [50, 137],
    ] as const) {
      const bus = newBus({ maxHistory: capacity });
      const types = ["task.a", "task.b", "agent.x"];
      for (let i = 0; i < emitted; i++) await bus.emit(new Event(types[i % 3]!, `s${i % 4}`, { i }));
      for (const query of [{}, { pattern: "task.*" }, { source: "s1" }, { pattern: "agent.*", source: "s3" }]) {
        const all = bus.getHistory(query);
        for (const limit of [0, 1, 7, 49, 50, 500])
          expect(
            bus.getHistory({ ...query, limit }),
            `${capacity}/${emitted} ${JSON.stringify(query)} ${limit}`,
          ).toEqual(limit === 0 ? [] : all.slice(-limit));
      }
    }
  });

  it("returns every event, oldest first, as a copy", async () => {
    const bus = newBus();
    const events = await emitAll(bus, [
      ["a", "s1"],
      ["b", "s2"],
      ["c", "s1"],
    ]);
    const history = bus.getHistory();
    expect(history).toEqual(events);
    history.pop();
    history.push(new Event("z", "s"));
    expect(bus.getHistory()).toEqual(events);
    expect(bus.getHistory()).not.toBe(bus.getHistory());
  });

  it("filters by pattern and source, then limit keeps the last of what is left", async () => {
    const bus = newBus();
    const events = await emitAll(bus, [
      ["task.started", "w1"],
      ["task.failed", "w1"],
      ["agent.failed", "w2"],
      ["task.failed", "w2"],
      ["task.completed", "w1"],
      ["task.failed", "w1"],
    ]);
    const [e0, e1, e2, e3, e4, e5] = events;
    expect(bus.getHistory({ pattern: "task.failed" })).toEqual([e1, e3, e5]);
    expect(bus.getHistory({ source: "w1" })).toEqual([e0, e1, e4, e5]);
    expect(bus.getHistory({ pattern: "*.failed", source: "w2" })).toEqual([e2, e3]);
    expect(bus.getHistory({ pattern: "task.*", source: "w1", limit: 2 })).toEqual([e4, e5]);
    expect(bus.getHistory({ limit: 1 })).toEqual([e5]);
    expect(bus.getHistory({ limit: 100 })).toEqual(events);
    expect(bus.getHistory({ pattern: "task.failed", limit: 2 })).toEqual([e3, e5]);
    expect(bus.getHistory({ source: "nobody" })).toEqual([]);
    expect(bus.getHistory({ pattern: "x.*" })).toEqual([]);
  });

  it("limit 0 returns []", async () => {
    const bus = newBus();
    await emitAll(bus, [["a", "s"]]);
    expect(bus.getHistory({ limit: 0 })).toEqual([]);
  });

  it("is a ring buffer: past maxHistory the oldest go, the order stays", async () => {
    const bus = newBus({ maxHistory: 3 });
    const events: Event[] = [];
    for (let i = 0; i < 11; i++) {
      const event = new Event("a", `s${i}`);
      events.push(event);
      await bus.emit(event);
      expect(bus.getHistory()).toEqual(events.slice(-3));
      expect(bus.getStats().historySize).toBe(Math.min(i + 1, 3));
    }
    expect(bus.getHistory({ limit: 2 })).toEqual(events.slice(-2));
    expect(bus.getHistory({ source: "s9" })).toEqual([events[9]]);
    expect(bus.getHistory({ source: "s7" })).toEqual([]);
  });

  it("keeps 1000 events by default", async () => {
    const bus = newBus();
    const first = new Event("first", "s");
    await bus.emit(first);
    for (let i = 0; i < 999; i++) await bus.emit(new Event("a", "s"));
    expect(bus.getHistory()[0]).toBe(first);
    await bus.emit(new Event("a", "s"));
    const history = bus.getHistory();
    expect(history).toHaveLength(1000);
    expect(history[0]).not.toBe(first);
    expect(bus.getStats().maxHistory).toBe(1000);
  });

  it("maxHistory 0 keeps none, and still counts the events", async () => {
    const bus = newBus({ maxHistory: 0 });
    let calls = 0;
    bus.subscribe("a", () => void calls++);
    await emitAll(bus, [
      ["a", "s"],
      ["a", "s"],
    ]);
    expect(bus.getHistory()).toEqual([]);
    expect(bus.getHistory({ limit: 5 })).toEqual([]);
    expect(calls).toBe(2);
    expect(bus.getStats()).toMatchObject({ historySize: 0, maxHistory: 0, totalEventsEmitted: 2 });
  });

  it("clearHistory empties it and history fills again after", async () => {
    const bus = newBus({ maxHistory: 2 });
    await emitAll(bus, [
      ["a", "s"],
      ["b", "s"],
      ["c", "s"],
    ]);
    bus.clearHistory();
    expect(bus.getHistory()).toEqual([]);
    expect(bus.getStats().historySize).toBe(0);
    expect(bus.getStats().totalEventsEmitted).toBe(3); // stats are not history
    const events = await emitAll(bus, [
      ["d", "s"],
      ["e", "s"],
      ["f", "s"],
    ]);
    expect(bus.getHistory()).toEqual(events.slice(-2));
  });

  it("a large maxHistory costs only what it holds: clearHistory of one event in room for 100 million allocates nothing", async () => {
    const bus = newBus({ maxHistory: 100_000_000 });
    const [event] = await emitAll(bus, [["a", "s"]]);
    expect(bus.getHistory()).toEqual([event]);
    const heapBefore = process.memoryUsage().heapUsed;
    bus.clearHistory();
    // It filled every slot of the capacity (2 GB of heap at 50 million); now it drops what is there.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(50 * 1024 * 1024);
    expect(bus.getHistory()).toEqual([]);
    await emitAll(bus, [["b", "s"]]);
    expect(bus.getHistory().map((e) => e.eventType)).toEqual(["b"]);
  });

  it("records events whose handlers are still running, and events that failed", async () => {
    const bus = newBus({ onError: () => {} });
    bus.subscribe("a", () => {
      throw new Error("x");
    });
    const event = new Event("a", "s");
    await bus.emit(event);
    expect(bus.getHistory()).toEqual([event]);
  });

  it.each([
    [{ limit: -1 }],
    [{ limit: 1.5 }],
    [{ limit: Number.NaN }],
    [{ limit: Number.POSITIVE_INFINITY }],
    [{ limit: "3" }],
    [{ source: 5 }],
    [{ sourc: "s" }],
    [{ pattern: "a", extra: 1 }],
    [null],
    ["task.*"],
  ])("refuses the query %j with EBUS_INVALID_OPTIONS", (query) => {
    const bus = newBus();
    expectCode(() => bus.getHistory(query as never), "EBUS_INVALID_OPTIONS");
  });

  it.each(["a..b", "", "ta*k", ">", 5])("refuses the pattern %j with EBUS_INVALID_PATTERN", (pattern) => {
    const bus = newBus();
    expectCode(() => bus.getHistory({ pattern: pattern as string }), "EBUS_INVALID_PATTERN");
  });
});

describe("getSubscriptionCount", () => {
  it("counts subscriptions with exactly that pattern string (seed), or all of them", () => {
    const bus = newBus();
    const noop = (): void => {};
    bus.subscribe("task.*", noop);
    bus.subscribe("task.*", noop);
    const completed = bus.subscribe("task.completed", noop);
    bus.subscribe("*", noop);
    bus.subscribe("agent.*", noop);
    expect(bus.getSubscriptionCount("task.*")).toBe(2);
    expect(bus.getSubscriptionCount("task.completed")).toBe(1);
    expect(bus.getSubscriptionCount("*")).toBe(1);
    expect(bus.getSubscriptionCount("agent.heartbeat")).toBe(0); // matched by agent.*, not that string
    expect(bus.getSubscriptionCount("task.failed")).toBe(0);
    expect(bus.getSubscriptionCount("ta*")).toBe(0);
    expect(bus.getSubscriptionCount()).toBe(5);
    bus.unsubscribe(completed);
    expect(bus.getSubscriptionCount("task.completed")).toBe(0);
    expect(bus.getSubscriptionCount("task.*")).toBe(2);
    expect(bus.getSubscriptionCount()).toBe(4);
  });

  it("is safe for patterns named like Object.prototype members", () => {
    const bus = newBus();
    expect(bus.getSubscriptionCount("__proto__")).toBe(0);
    expect(bus.getSubscriptionCount("constructor")).toBe(0);
    expect(bus.getSubscriptionCount("toString")).toBe(0);
    bus.subscribe("__proto__", () => {});
    bus.subscribe("constructor", () => {});
    expect(bus.getSubscriptionCount("__proto__")).toBe(1);
    expect(bus.getSubscriptionCount("constructor")).toBe(1);
    expect(bus.getStats().patterns).toEqual(["__proto__", "constructor"]);
  });
});
