/**
 * EventBus dispatch (docs/architecture.md: the bus): the seed's examples, sync and async handlers and
 * filters, EmitResult accounting, subscription order, and changes made during an emit.
 */
import { describe, expect, it } from "vitest";
import { Event, EventType, HandlerFailedError } from "../../src/index.js";
import { expectBalanced } from "../support/assertions.js";
import { deferred, ticks } from "../support/async.js";
import { useBuses } from "../support/buses.js";

const newBus = useBuses();

describe("the seed's examples", () => {
  it("basic subscribe and publish", async () => {
    const bus = newBus();
    const lines: string[] = [];
    bus.subscribe("task.completed", async (event) => {
      lines.push(`Task completed: ${String(event.data["task_id"])}`, `Result: ${String(event.data["result"])}`);
    });
    const event = new Event(EventType.TASK_COMPLETED, "workflow_1", { task_id: "t1", result: "success" });
    const result = await bus.emit(event);
    expect(lines).toEqual(["Task completed: t1", "Result: success"]);
    expect(result).toEqual({ eventId: event.eventId, matched: 1, delivered: 1, filtered: 0, failed: 0, errors: [] });
  });

  it("pattern matching: specific, task.*, and *", async () => {
    const bus = newBus();
    const calls: string[] = [];
    bus.subscribe("task.completed", () => void calls.push("handler1"));
    bus.subscribe("task.*", () => void calls.push("handler2"));
    bus.subscribe("*", () => void calls.push("handler3"));
    await bus.emit(new Event(EventType.TASK_COMPLETED, "w"));
    expect(calls).toEqual(["handler1", "handler2", "handler3"]);
    calls.length = 0;
    await bus.emit(new Event(EventType.TASK_FAILED, "w"));
    expect(calls).toEqual(["handler2", "handler3"]);
    calls.length = 0;
    await bus.emit(new Event(EventType.AGENT_FAILED, "w"));
    expect(calls).toEqual(["handler3"]);
  });

  it("custom filters: only critical tasks", async () => {
    const bus = newBus();
    const alerts: unknown[] = [];
    const onlyCritical = (event: Event): boolean => event.data["priority"] === "critical";
    bus.subscribe("task.failed", async (event) => void alerts.push(event.data["task_id"]), { filter: onlyCritical });
    const low = await bus.emit(new Event(EventType.TASK_FAILED, "w", { task_id: "t1", priority: "low" }));
    const critical = await bus.emit(new Event(EventType.TASK_FAILED, "w", { task_id: "t2", priority: "critical" }));
    expect(alerts).toEqual(["t2"]);
    expect(low).toMatchObject({ matched: 1, delivered: 0, filtered: 1, failed: 0 });
    expect(critical).toMatchObject({ matched: 1, delivered: 1, filtered: 0, failed: 0 });
  });

  it("task completion workflow", async () => {
    const bus = newBus();
    const log: string[] = [];
    bus.subscribe("task.*", async (e) => void log.push(`${e.eventType}: ${e.source}`));
    bus.subscribe("task.failed", async (e) => {
      if (e.data["critical"]) log.push(`ALERT: ${String(e.data["reason"])}`);
    });
    bus.subscribe("task.completed", async (e) => void log.push(`Task completed in ${String(e.data["duration"])}s`));
    await bus.emit(new Event(EventType.TASK_STARTED, "workflow_1", { task_id: "t1" }));
    await bus.emit(new Event(EventType.TASK_COMPLETED, "workflow_1", { task_id: "t1", duration: 5.2 }));
    await bus.emit(new Event(EventType.TASK_FAILED, "workflow_1", { critical: true, reason: "disk" }));
    expect(log).toEqual([
      "task.started: workflow_1",
      "task.completed: workflow_1",
      "Task completed in 5.2s",
      "task.failed: workflow_1",
      "ALERT: disk",
    ]);
  });

  it("the seed's own test: one task.completed handler sees the event", async () => {
    const bus = newBus();
    const events: Event[] = [];
    bus.subscribe("task.completed", async (event) => void events.push(event));
    const event = new Event(EventType.TASK_COMPLETED, "test");
    await bus.emit(event);
    expect(events).toHaveLength(1);
    expect(events[0]).toBe(event);
    expect(events[0]!.eventType).toBe(EventType.TASK_COMPLETED);
  });
});

describe("emit", () => {
  it("with no subscriber still counts the event and stores it in history", async () => {
    const bus = newBus();
    const event = new Event("nobody.listens", "s");
    const result = await bus.emit(event);
    expect(result).toEqual({ eventId: event.eventId, matched: 0, delivered: 0, filtered: 0, failed: 0, errors: [] });
    expect(bus.getHistory()).toEqual([event]);
    const stats = bus.getStats();
    expect(stats.totalEventsEmitted).toBe(1);
    expect(stats.eventCounts).toEqual({ "nobody.listens": 1 });
  });

  it("resolves only when every async handler has settled", async () => {
    const bus = newBus();
    const gate = deferred();
    let finished = false;
    bus.subscribe("a", async () => {
      await gate.promise;
      finished = true;
    });
    let settled = false;
    const pending = bus.emit(new Event("a", "s")).then((r) => {
      settled = true;
      return r;
    });
    await ticks(3);
    expect(settled).toBe(false);
    gate.resolve();
    const result = await pending;
    expect(finished).toBe(true);
    expect(result).toMatchObject({ matched: 1, delivered: 1 });
  });

  it("runs matching handlers concurrently, not one after another", async () => {
    const bus = newBus();
    const second = deferred();
    bus.subscribe("a", async () => {
      await second.promise; // would deadlock if the second handler waited for this one
    });
    bus.subscribe("a", async () => {
      second.resolve();
    });
    await expect(bus.emit(new Event("a", "s"))).resolves.toMatchObject({ delivered: 2 });
  });

  it("mixes sync and async handlers, values returned are ignored", async () => {
    const bus = newBus();
    bus.subscribe("a", () => 42);
    bus.subscribe("a", async () => "x");
    bus.subscribe("a", () => Promise.resolve(null));
    bus.subscribe("a", () => ({ then: (ok: () => void) => ok() })); // a thenable
    const result = await bus.emit(new Event("a", "s"));
    expect(result).toMatchObject({ matched: 4, delivered: 4, filtered: 0, failed: 0 });
  });

  it("keeps matched = delivered + filtered + failed over every outcome", async () => {
    const bus = newBus({ onError: () => {} });
    const boom = new Error("boom");
    bus.subscribe("a", () => {}); // delivered
    bus.subscribe("a", async () => {}); // delivered
    bus.subscribe("a", () => {}, { filter: () => false }); // filtered
    bus.subscribe("a", () => {}, { filter: async () => false }); // filtered
    bus.subscribe("a", () => {
      throw boom;
    }); // failed
    bus.subscribe("a", async () => Promise.reject(boom)); // failed
    bus.subscribe("a", () => {}, {
      filter: () => {
        throw boom;
      },
    }); // failed
    bus.subscribe("a", () => {}, { filter: async () => Promise.reject(boom) }); // failed
    bus.subscribe("a", () => {}, { filter: async () => true }); // delivered
    const result = await bus.emit(new Event("a", "s"));
    expect(result).toMatchObject({ matched: 9, delivered: 3, filtered: 2, failed: 4 });
    expectBalanced(result);
    for (const err of result.errors) {
      expect(err).toBeInstanceOf(HandlerFailedError);
      expect(err.code).toBe("EBUS_HANDLER_FAILED");
      expect(err.cause).toBe(boom);
    }
  });

  it("treats any falsy filter verdict as filtered and a truthy one as pass", async () => {
    const bus = newBus();
    let calls = 0;
    for (const verdict of [0, "", null, undefined, Promise.resolve(0)]) {
      bus.subscribe("a", () => void calls++, { filter: () => verdict as unknown as boolean });
    }
    bus.subscribe("a", () => void calls++, { filter: () => 1 as unknown as boolean });
    const result = await bus.emit(new Event("a", "s"));
    expect(result).toMatchObject({ matched: 6, filtered: 5, delivered: 1 });
    expect(calls).toBe(1);
  });

  it("does not call the handler when the filter fails, and passes the event to both", async () => {
    const bus = newBus({ onError: () => {} });
    const event = new Event("a", "s");
    const seenByFilter: Event[] = [];
    let handled = 0;
    bus.subscribe("a", () => void handled++, {
      filter: (e) => {
        seenByFilter.push(e);
        throw new Error("nope");
      },
    });
    bus.subscribe("a", () => void handled++, {
      filter: async (e) => {
        seenByFilter.push(e);
        throw new Error("nope");
      },
    });
    await bus.emit(event);
    expect(handled).toBe(0);
    expect(seenByFilter).toEqual([event, event]);
  });

  it("calls handlers in subscription order, whatever pattern they came through", async () => {
    const bus = newBus();
    const order: number[] = [];
    const patterns = ["*", "task.completed", "ta*", "*.completed", "task.*", "task.completed", "*", "t*"];
    patterns.forEach((pattern, i) => bus.subscribe(pattern, () => void order.push(i)));
    await bus.emit(new Event("task.completed", "s"));
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("keeps subscription order after unsubscribing and subscribing again", async () => {
    const bus = newBus();
    const order: string[] = [];
    const a = bus.subscribe("x.*", () => void order.push("a"));
    bus.subscribe("x.y", () => void order.push("b"));
    bus.unsubscribe(a);
    bus.subscribe("*", () => void order.push("c"));
    bus.subscribe("x.y", () => void order.push("d"));
    await bus.emit(new Event("x.y", "s"));
    expect(order).toEqual(["b", "c", "d"]);
  });

  it("invokes async filters' handlers in subscription order too", async () => {
    const bus = newBus();
    const order: number[] = [];
    for (let i = 0; i < 5; i++) bus.subscribe("a", () => void order.push(i), { filter: async () => true });
    await bus.emit(new Event("a", "s"));
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });
});
