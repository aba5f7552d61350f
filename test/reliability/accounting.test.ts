/**
 * The accounting invariant under concurrency: thousands of emits left un-awaited at once, async
 * handlers and filters of random latency (chains of microtasks and setImmediate turns, no fixed
 * timers), throws and rejections. For every emit matched = delivered + filtered + failed; summed
 * over all emits they equal the stats counters; every emit promise settles; nothing stays in
 * flight. Two workloads, each checking what the other cannot:
 *   - random mixes (fixed seeds): subscriptions of every kind are added while emits run, and
 *     close() (plain, or with a timeout over hung deliveries) lands in the middle of the storm;
 *     the totals are checked, as no single result can be predicted;
 *   - a storm sized by RELIABILITY_LONG and seeded per run (RELIABILITY_SEED replays one): what
 *     each subscription does is a function of the event, so every EmitResult is checked, with a
 *     `once` subscription and one removed by a handler mid-storm.
 */
import { describe, expect, it } from "vitest";
import { Event, type BusError, type EmitResult, type EventBus } from "../../src/index.js";
import { hops } from "../support/async.js";
import { useBuses } from "../support/buses.js";
import { LONG, rng, SEED, seededRandom, size } from "../support/random.js";

const newBus = useBuses();

/** Waits a random number of microtask and event-loop turns. */
async function jitter(random: () => number): Promise<void> {
  const hops = Math.floor(random() * 6);
  for (let i = 0; i < hops; i++) {
    if (random() < 0.5) await new Promise<void>((resolve) => queueMicrotask(resolve));
    else await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

const TYPES = [
  "task.started",
  "task.completed",
  "task.failed",
  "agent.heartbeat",
  "agent.a1.heartbeat",
  "storage.uploaded",
  "info.logged",
];
const PATTERNS = [
  "*",
  "task.*",
  "task.failed",
  "*.failed",
  "agent.*.heartbeat",
  "ag*",
  "storage.uploaded",
  "nothing.here",
];

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

function sum(results: readonly EmitResult[]): {
  matched: number;
  delivered: number;
  filtered: number;
  failed: number;
  errors: number;
} {
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

describe("accounting under concurrency: random mixes whose subscriptions change during the storm, and close() in the middle", () => {
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
    expect(stats).toMatchObject({
      totalEventsEmitted: 2000,
      delivered: total.delivered,
      filteredOut: total.filtered,
      failed: total.failed,
      inFlight: 0,
    });
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
    expect(stats).toMatchObject({
      delivered: total.delivered,
      filteredOut: total.filtered,
      failed: total.failed,
      inFlight: 0,
    });
  });
});

describe("accounting under concurrency: a storm whose every EmitResult is known in advance", () => {
  it(
    `every un-awaited emit settles and the counts add up (seed ${SEED})`,
    { timeout: LONG ? 600_000 : 30_000 },
    async () => {
      const random = rng(SEED);
      const total = size(5000, 200_000);
      const errors: BusError[] = [];
      const bus = newBus({ maxHistory: 100, onError: (e) => errors.push(e) });
      const latency = () => hops(random.int(12));
      const n = (e: Event) => e.data.n as number;

      // Outcome per subscription is a function of n, so each emit's result is known in advance.
      bus.subscribe("load.*", async () => latency());
      bus.subscribe("load.*", (e) => (n(e) % 7 === 0 ? Promise.reject(new Error("rejects")) : latency()));
      bus.subscribe("load.a", (e) => {
        if (n(e) % 11 === 0) throw new Error("throws");
      });
      bus.subscribe("load.*", () => undefined, { filter: async (e) => (await latency(), n(e) % 3 !== 0) });
      bus.subscribe("lo*", () => latency(), {
        filter: (e) => {
          if (n(e) % 13 === 0) throw new Error("filter throws");
          return n(e) % 2 === 0;
        },
      });
      let onceCalls = 0;
      bus.subscribe("load.b", () => void onceCalls++, { once: true, filter: async () => (await latency(), true) });
      // A subscription a handler removes in the middle of the storm: later emits do not match it.
      const half = Math.floor(total / 2);
      let transientCalls = 0;
      const transient = bus.subscribe("load.*", async () => {
        transientCalls++;
        await latency();
      });
      bus.subscribe("load.*", (e) => {
        if (n(e) === half) bus.unsubscribe(transient);
      });

      let settled = 0;
      let inFlightSeen = 0;
      const pending: Promise<EmitResult>[] = [];
      const events: Event[] = [];
      for (let i = 0; i < total; i++) {
        const event = new Event(random.next() < 0.5 ? "load.a" : "load.b", "storm", { n: i });
        events.push(event);
        const promise = bus.emit(event);
        void promise.then(() => settled++);
        pending.push(promise);
        if (i % 1000 === 999) inFlightSeen = Math.max(inFlightSeen, bus.getStats().inFlight);
      }
      const results = await Promise.all(pending);

      expect(settled).toBe(total);
      expect(inFlightSeen).toBeGreaterThan(0);
      const sum = { matched: 0, delivered: 0, filtered: 0, failed: 0 };
      let onceMatched = 0;
      let onceFiltered = 0;
      results.forEach((r, k) => {
        const isA = events[k]!.eventType === "load.a";
        expect(r.eventId).toBe(events[k]!.eventId);
        expect(r.matched).toBe(r.delivered + r.filtered + r.failed);
        expect(r.errors).toHaveLength(r.failed);
        for (const e of r.errors) expect(e.code).toBe("EBUS_HANDLER_FAILED");
        // What each subscription does is a function of n: the result of every emit is known, but for
        // the once subscription (matched until its first async filter resolves).
        const matched = (isA ? 6 : 5) + (k <= half ? 1 : 0);
        const failed = (k % 7 === 0 ? 1 : 0) + (isA && k % 11 === 0 ? 1 : 0) + (k % 13 === 0 ? 1 : 0);
        const filtered = (k % 3 === 0 ? 1 : 0) + (k % 13 !== 0 && k % 2 === 1 ? 1 : 0);
        expect(r.failed).toBe(failed);
        if (isA) expect(r).toMatchObject({ matched, filtered });
        else {
          expect(r.matched - matched).toBeOneOf([0, 1]);
          onceMatched += r.matched - matched;
          onceFiltered += r.filtered - filtered;
        }
        sum.matched += r.matched;
        sum.delivered += r.delivered;
        sum.filtered += r.filtered;
        sum.failed += r.failed;
      });
      // The once subscription let exactly one event through; the others it matched were turned away.
      expect(onceCalls).toBe(1);
      expect(onceFiltered).toBe(onceMatched - 1);
      expect(transientCalls).toBe(half + 1);
      const stats = bus.getStats();
      expect({ delivered: stats.delivered, filteredOut: stats.filteredOut, failed: stats.failed }).toEqual({
        delivered: sum.delivered,
        filteredOut: sum.filtered,
        failed: sum.failed,
      });
      expect(stats.totalEventsEmitted).toBe(total);
      expect(stats.inFlight).toBe(0);
      expect(errors).toHaveLength(sum.failed);
      expect(bus.getSubscriptionCount()).toBe(6);
      await bus.close();
      console.log(
        `[reliability] accounting: ${total} concurrent emits, ${sum.matched} deliveries (${sum.delivered} delivered, ${sum.filtered} filtered, ${sum.failed} failed), peak in flight ${inFlightSeen}`,
      );
    },
  );
});
