/**
 * Stats counted in batches on the main thread (src/stats/main-writer.ts): getStats sees every
 * emit and delivery at once; the counts reach the shared buffer within a bounded delay; resetStats
 * drops counts not yet published; types past the table's capacity count in the overflow slot.
 */
import { describe, expect, it } from "vitest";
import { Event } from "../../src/index.js";
import { MainStatsWriter } from "../../src/stats/main-writer.js";
import { WorkerStatsWriter } from "../../src/stats/worker-writer.js";
import { until } from "../support/async.js";
import { useBuses } from "../support/buses.js";

const newBus = useBuses();

describe("stats counted in batches on the main thread", () => {
  it("getStats sees every emit and delivery at once, without waiting for a flush", async () => {
    const bus = newBus({ onError: () => undefined });
    bus.subscribe("task.*", () => undefined);
    bus.subscribe(
      "task.failed",
      () => {
        throw new Error("boom");
      },
      {},
    );
    bus.subscribe("task.completed", () => undefined, { filter: () => false });
    const types = ["task.completed", "task.failed", "task.completed", "agent.heartbeat", "task.completed"];
    for (const type of types) await bus.emit(new Event(type, "test"));
    const stats = bus.getStats();
    expect(stats.totalEventsEmitted).toBe(5);
    expect(stats.eventCounts).toEqual({ "task.completed": 3, "task.failed": 1, "agent.heartbeat": 1 });
    expect(stats.delivered).toBe(4);
    expect(stats.filteredOut).toBe(3);
    expect(stats.failed).toBe(1);
    await bus.close();
  });

  it("publishes the main thread's counts to the shared buffer within a bounded delay", async () => {
    const block = MainStatsWriter.create({ workerStripes: 1, typeCapacity: 8 });
    // A second view of the same buffer, as another thread would have it.
    const other = WorkerStatsWriter.attach(block.buffer);
    block.countEmit("a.b");
    block.countDeliveries(2, 1, 0);
    // Poll the other view until the counts appear (they must, without any read on this side).
    await until(() => other.snapshot().emitted !== 0, {
      timeoutMs: 2000,
      intervalMs: 5,
      message: "the counts in the other view",
    });
    const seen = other.snapshot();
    expect(seen.emitted).toBe(1);
    expect(seen.delivered).toBe(2);
    expect(seen.filteredOut).toBe(1);
  });

  it("resetStats discards counts not yet published", async () => {
    const bus = newBus();
    await bus.emit(new Event("a.b", "test"));
    bus.resetStats();
    await bus.emit(new Event("c.d", "test"));
    const stats = bus.getStats();
    expect(stats.totalEventsEmitted).toBe(1);
    expect(stats.eventCounts).toEqual({ "c.d": 1 });
    await bus.close();
  });

  it("counts types past the table's capacity in the overflow slot", async () => {
    const bus = newBus({ stats: { typeCapacity: 2 } });
    for (const type of ["a.a", "b.b", "c.c", "a.a", "d.d"]) await bus.emit(new Event(type, "test"));
    const stats = bus.getStats();
    expect(stats.totalEventsEmitted).toBe(5);
    expect(stats.eventCounts).toEqual({ "a.a": 2, "b.b": 1 });
    await bus.close();
  });

  it("counts exactly across many batches with alternating types (past the flush threshold)", () => {
    const block = MainStatsWriter.create({ workerStripes: 1, typeCapacity: 4 });
    const types = ["a", "a", "b", "a", "c", "d", "e", "e"];
    for (let i = 0; i < 5000; i++) block.countEmit(types[i % types.length]!);
    expect(block.snapshot().emitted).toBe(5000);
    expect(block.eventCounts()).toEqual({ a: 1875, b: 625, c: 625, d: 625 });
    expect(block.overflowCount()).toBe(1250);
    for (let i = 0; i < 3000; i++) block.countEmit("a");
    expect(block.snapshot().emitted).toBe(8000);
    expect(block.eventCounts()["a"]).toBe(4875);
  });
});
