/**
 * Accounting under concurrency: thousands of emits left running at once, with async handlers
 * and filters of random latency (chains of microtasks and setImmediate turns, no fixed timers).
 * Every promise settles, and the summed EmitResults equal the stats counters.
 */
import { describe, expect, it } from "vitest";
import { Event, type BusError, type EmitResult, type EventBus } from "../../src/index.js";
import { useBuses } from "../support/buses.js";
import { seededRandom } from "../support/random.js";

const newBus = useBuses();

/** Waits a random number of microtask and event-loop turns. */
async function jitter(random: () => number): Promise<void> {
  const hops = Math.floor(random() * 6);
  for (let i = 0; i < hops; i++) {
    if (random() < 0.5) await new Promise<void>((resolve) => queueMicrotask(resolve));
    else await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

const TYPES = ["task.started", "task.completed", "task.failed", "agent.heartbeat", "agent.a1.heartbeat", "storage.uploaded", "info.logged"];
const PATTERNS = ["*", "task.*", "task.failed", "*.failed", "agent.*.heartbeat", "ag*", "storage.uploaded", "nothing.here"];

/** Subscribes a random mix of handler and filter behaviours. */
function subscribeMix(bus: EventBus, random: () => number, count: number): void {
  for (let i = 0; i < count; i++) {
    const pattern = PATTERNS[Math.floor(random() * PATTERNS.length)]!;
    const kind = Math.floor(random() * 6);
    const filterKind = Math.floor(random() * 5);
    const handler = async (): Promise<void> => {
      await jitter(random);
      if (kind === 0) throw new Error("async failure");
    };
    const syncHandler = (): void => {
      if (kind === 1) throw new Error("sync failure");
    };
    const filter =
      filterKind === 0
        ? undefined
        : filterKind === 1
          ? () => random() < 0.7
          : filterKind === 2
            ? async () => {
                await jitter(random);
                return random() < 0.7;
              }
            : filterKind === 3
              ? async () => {
                  await jitter(random);
                  if (random() < 0.1) throw new Error("filter failure");
                  return true;
                }
              : undefined;
    const options = { ...(filter === undefined ? {} : { filter }), ...(kind === 5 ? { once: true } : {}) };
    bus.subscribe(pattern, kind === 1 || kind === 2 ? syncHandler : handler, options);
  }
}

function sum(results: readonly EmitResult[]): { matched: number; delivered: number; filtered: number; failed: number; errors: number } {
  const total = { matched: 0, delivered: 0, filtered: 0, failed: 0, errors: 0 };
  for (const r of results) {
    expect(r.matched).toBe(r.delivered + r.filtered + r.failed);
    total.matched += r.matched;
    total.delivered += r.delivered;
    total.filtered += r.filtered;
    total.failed += r.failed;
    total.errors += r.errors.length;
  }
  return total;
}

describe("accounting under concurrency", () => {
  it.each([1, 2, 3])("thousands of un-awaited emits settle and add up to the stats (seed %i)", async (seed) => {
    const random = seededRandom(seed);
    const reported: BusError[] = [];
    const bus = newBus({ maxHistory: 500, onError: (e) => void reported.push(e) });
    subscribeMix(bus, random, 40);
    const n = 3000;
    const pending: Promise<EmitResult>[] = [];
    const events: Event[] = [];
    let sawInFlight = false;
    for (let i = 0; i < n; i++) {
      events.push(new Event(TYPES[Math.floor(random() * TYPES.length)]!, `src${i % 7}`, { i }));
      pending.push(bus.emit(events[i]!));
      if (i % 500 === 0) {
        sawInFlight ||= bus.getStats().inFlight > 0;
        subscribeMix(bus, random, 2); // subscriptions keep changing while emits are running
      }
    }
    expect(sawInFlight).toBe(true);
    const results = await Promise.all(pending);
    expect(results).toHaveLength(n);
    const total = sum(results);
    expect(total.matched).toBeGreaterThan(n); // the workload does exercise the handlers
    expect(total.failed).toBeGreaterThan(0);
    expect(total.filtered).toBeGreaterThan(0);
    const stats = bus.getStats();
    expect(stats.totalEventsEmitted).toBe(n);
    expect(Object.values(stats.eventCounts).reduce((a, b) => a + b, 0)).toBe(n);
    expect(stats.delivered).toBe(total.delivered);
    expect(stats.filteredOut).toBe(total.filtered);
    expect(stats.failed).toBe(total.failed);
    expect(stats.inFlight).toBe(0);
    expect(reported).toHaveLength(total.failed);
    expect(total.errors).toBe(total.failed);
    expect(stats.historySize).toBe(500);
    expect(results.map((r) => r.eventId)).toEqual(events.map((e) => e.eventId));
  });

  it("close() with thousands of emits running waits for all, and the counts still add up", async () => {
    const random = seededRandom(11);
    const bus = newBus({ onError: () => {} });
    subscribeMix(bus, random, 30);
    const pending = Array.from({ length: 2000 }, (_, i) => bus.emit(new Event(TYPES[i % TYPES.length]!, "s")));
    await bus.close();
    let settled = 0;
    const results = await Promise.all(pending.map((p) => p.finally(() => void settled++)));
    expect(settled).toBe(2000);
    const total = sum(results);
    const stats = bus.getStats();
    expect(stats).toMatchObject({ totalEventsEmitted: 2000, delivered: total.delivered, filteredOut: total.filtered, failed: total.failed, inFlight: 0 });
  });

  it("close({ timeoutMs }) with hung deliveries among thousands: every emit settles, the counts add up", async () => {
    const random = seededRandom(5);
    const bus = newBus({ onError: () => {} });
    subscribeMix(bus, random, 20);
    bus.subscribe("task.*", () => (random() < 0.05 ? new Promise(() => {}) : undefined));
    const pending = Array.from({ length: 2000 }, (_, i) => bus.emit(new Event(TYPES[i % TYPES.length]!, "s")));
    await bus.close({ timeoutMs: 20 });
    const results = await Promise.all(pending);
    const total = sum(results);
    const closedErrors = results.flatMap((r) => r.errors).filter((e) => e.code === "EBUS_CLOSED");
    expect(closedErrors.length).toBeGreaterThan(0);
    const stats = bus.getStats();
    expect(stats).toMatchObject({ delivered: total.delivered, filteredOut: total.filtered, failed: total.failed, inFlight: 0 });
  });
});
