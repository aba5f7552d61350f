/**
 * Faults in offloaded handlers, at load: throws, sync and async hangs past the timeout, threads
 * that exit, and threads that run out of heap (workers.resourceLimits). Whatever the mix, the bus
 * stays up, each event runs at most once and is accounted for exactly once, and the pool gets its
 * threads back.
 */
import { describe, expect, it } from "vitest";
import { Event, EventBus, offload, type EmitResult } from "../../src/index.js";
import { until } from "../support/async.js";
import { useBuses } from "../support/buses.js";
import { countsByN, HANDLERS } from "../support/offload.js";
import { rng, SEED, size } from "../support/random.js";

const { watched } = useBuses({ closeTimeoutMs: 2000 });

const HEAP_LIMIT = { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 };

const EXPECTED_CODE: Record<string, string | null> = {
  ok: null,
  cpu: null,
  "slow-async": null,
  throw: "EBUS_HANDLER_FAILED",
  hang: "EBUS_HANDLER_TIMEOUT",
  "async-hang": "EBUS_HANDLER_TIMEOUT",
  exit: "EBUS_WORKER_CRASHED",
  oom: "EBUS_WORKER_CRASHED",
};

describe("workers.resourceLimits", () => {
  it("is validated strictly", () => {
    for (const bad of [{ maxOldGenerationSizeMb: -1 }, { maxOldGenerationSizeMb: "32" }, { maxOldGenSizeMb: 32 }]) {
      expect(() => new EventBus({ workers: { resourceLimits: bad as never } })).toThrow(
        expect.objectContaining({ code: "EBUS_INVALID_OPTIONS" }),
      );
    }
    expect(() => new EventBus({ workers: { resourceLimits: HEAP_LIMIT } })).not.toThrow();
  });

  it("a heap-exhausting handler fails only its own event, and the pool recovers", async () => {
    const { bus, errors, reports } = watched({ workers: { maxThreads: 2, resourceLimits: HEAP_LIMIT } });
    bus.subscribe("job.*", offload(HANDLERS, "act"));
    const actions = ["ok", "ok", "oom", "ok", "ok", "ok"];
    const results = await bus.emitMany(actions.map((action, n) => new Event("job.run", "test", { n, action })));
    expect(results.map((r) => r.errors[0]?.code ?? null)).toEqual([
      null,
      null,
      "EBUS_WORKER_CRASHED",
      null,
      null,
      null,
    ]);
    expect(errors.map((e) => e.code)).toEqual(["EBUS_WORKER_CRASHED"]);
    await until(() => reports.length >= actions.length, { message: "one report per event" });
    expect([...countsByN(reports).values()].every((c) => c === 1)).toBe(true);
    const after = await bus.emit(new Event("job.run", "test", { n: 99, action: "ok" }));
    expect(after.delivered).toBe(1);
    const stats = bus.getStats();
    expect(stats.workers).toMatchObject({ completed: actions.length, failed: 1, inFlight: 0 });
  });
});

/**
 * Events in the storm: STORM_EVENTS, else 20,000 under RELIABILITY_LONG=1, else 240. CI runs a
 * mid-size storm (STORM_EVENTS=10000) with a fresh seed besides the default suite.
 */
const STORM = process.env.STORM_EVENTS === undefined ? size(240, 20_000) : Number(process.env.STORM_EVENTS);

/** The faults of a storm of `total` events: a fixed few when small, else the full storm's share. */
function stormFaults(total: number): Record<string, number> {
  if (!Number.isInteger(total) || total < 240)
    throw new Error(`STORM_EVENTS must be a whole number of at least 240, got ${total}`);
  if (total < 1000) return { throw: 8, hang: 2, "async-hang": 2, exit: 2, oom: 1 };
  const share = (perTwentyThousand: number): number => Math.max(1, Math.round((perTwentyThousand * total) / 20_000));
  return { throw: share(200), hang: share(40), "async-hang": share(40), exit: share(40), oom: share(10) };
}

describe("a storm of worker faults at load", () => {
  it(
    `accounts for every event and keeps the bus up (seed ${SEED}, ${STORM} events)`,
    { timeout: STORM > 240 ? 600_000 : 60_000 },
    async () => {
      const random = rng(SEED);
      const total = STORM;
      const faults = stormFaults(total);
      const actions: string[] = [];
      for (const [action, count] of Object.entries(faults)) for (let i = 0; i < count; i++) actions.push(action);
      while (actions.length < total) actions.push(random.pick(["ok", "ok", "cpu", "slow-async"]));
      for (let i = actions.length - 1; i > 0; i--) {
        const j = random.int(i + 1);
        [actions[i], actions[j]] = [actions[j]!, actions[i]!];
      }
      const { bus, errors, reports } = watched({
        workers: { maxThreads: 2, maxQueue: 64, batchSize: 16, resourceLimits: HEAP_LIMIT },
      });
      // Filling 32 MB takes longer than the hang timeout: heap exhaustion gets a subscription of its
      // own with no timeout, so it dies of the heap limit and not of the watchdog.
      bus.subscribe("job.run", offload(HANDLERS, "act", { timeoutMs: 400 }));
      bus.subscribe("job.heavy", offload(HANDLERS, "act"));
      let inProcess = 0;
      bus.subscribe("job.*", () => {
        inProcess++;
      });

      // Half the events one emit at a time, un-awaited, half in emitMany chunks: all at once.
      const pending: Promise<EmitResult | EmitResult[]>[] = [];
      const events = actions.map(
        (action, n) => new Event(action === "oom" ? "job.heavy" : "job.run", "storm", { n, action, ms: 1 }),
      );
      for (let i = 0; i < events.length;) {
        if (random.next() < 0.5) pending.push(bus.emit(events[i++]!));
        else {
          const chunk = events.slice(i, i + 1 + random.int(20));
          i += chunk.length;
          pending.push(bus.emitMany(chunk));
        }
      }
      const results = (await Promise.all(pending)).flat();

      expect(results).toHaveLength(total);
      const byId = new Map(events.map((e) => [e.eventId, e]));
      for (const r of results) {
        const action = byId.get(r.eventId)!.data.action as string;
        expect(r.matched).toBe(2);
        expect(r.matched).toBe(r.delivered + r.filtered + r.failed);
        expect(r.errors.map((e) => e.code)).toEqual(EXPECTED_CODE[action] === null ? [] : [EXPECTED_CODE[action]]);
      }
      const failedCount = Object.values(faults).reduce((a, b) => a + b, 0);
      const stats = bus.getStats();
      expect(inProcess).toBe(total);
      expect(stats.workers.completed + stats.workers.failed).toBe(total);
      expect(stats.workers.failed).toBe(failedCount);
      expect(stats.failed).toBe(failedCount);
      expect(stats.delivered).toBe(2 * total - failedCount);
      expect(stats.workers.inFlight).toBe(0);
      expect(stats.inFlight).toBe(0);
      expect(errors).toHaveLength(failedCount);

      // At most once: no event ran twice; every event that was delivered ran exactly once.
      // Reports cross on a BroadcastChannel, apart from the results: wait for every delivered one.
      const delivered = [...actions.entries()].filter(([, action]) => EXPECTED_CODE[action] === null).map(([n]) => n);
      await until(
        () => {
          const seen = new Set(reports.map((r) => r.n));
          return delivered.every((n) => seen.has(n));
        },
        { timeoutMs: 20_000, message: "a report from every delivered event" },
      );
      const counts = countsByN(reports);
      expect([...counts.entries()].filter(([, c]) => c > 1)).toEqual([]);
      for (const [n, action] of actions.entries()) if (EXPECTED_CODE[action] === null) expect(counts.get(n)).toBe(1);

      // The pool has its threads back.
      const after = await bus.emitMany(
        [0, 1, 2, 3].map((i) => new Event("job.run", "after", { n: total + i, action: "cpu", ms: 2 })),
      );
      expect(after.every((r) => r.delivered === 2)).toBe(true);
      expect(bus.getStats().workers.threads).toBeGreaterThanOrEqual(1);
      console.log(
        `[reliability] worker storm: ${total} offloaded events, ${failedCount} faults (${JSON.stringify(faults)}), all accounted for`,
      );
    },
  );
});
