/**
 * The accounting invariant under concurrency: thousands of emits left un-awaited at once, async
 * handlers and filters of random latency (chains of microtasks and setImmediate), throws and
 * rejections. For every emit matched = delivered + filtered + failed; summed over all emits they
 * equal the stats counters; every emit promise settles; nothing stays in flight.
 */
import { describe, expect, it } from "vitest";
import { Event, EventBus, type BusError, type EmitResult } from "../../src/index.js";
import { hops } from "../support/async.js";
import { LONG, rng, SEED, size } from "../support/random.js";

describe("accounting under concurrency", () => {
  it(`every un-awaited emit settles and the counts add up (seed ${SEED})`, { timeout: LONG ? 600_000 : 30_000 }, async () => {
    const random = rng(SEED);
    const total = size(5000, 200_000);
    const errors: BusError[] = [];
    const bus = new EventBus({ maxHistory: 100, onError: (e) => errors.push(e) });
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
    console.log(`[reliability] accounting: ${total} concurrent emits, ${sum.matched} deliveries (${sum.delivered} delivered, ${sum.filtered} filtered, ${sum.failed} failed), peak in flight ${inFlightSeen}`);
  });
});
