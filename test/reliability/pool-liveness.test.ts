/**
 * Liveness of the worker pool: whatever the mix of thread deaths and timeouts, every offloaded
 * emit settles. Regressions of a defect where the pool lost all its threads while batches were
 * queued inside Piscina, and 25-75 emits stayed pending forever (threads 0, inFlight > 0).
 */
import { describe, expect, it } from "vitest";
import { Event, offload, type BusError, type EmitResult } from "../../src/index.js";
import { until } from "../support/async.js";
import { useBuses } from "../support/buses.js";
import { countsByN, HANDLERS } from "../support/offload.js";

const { watched } = useBuses({ closeTimeoutMs: 2000 });

/** The report of a replaced pool (the defence in depth), not of one event. */
const isReplacement = (e: BusError): boolean => e.subscriptionId === undefined && /no live thread/.test(e.message);

/** Rounds of one thread death, one `fault`, then five plain events, emitted all at once. */
async function deathsAndHangs(fault: "hang" | "async-hang"): Promise<void> {
  const { bus, errors, reports } = watched({ workers: { maxThreads: 2, maxQueue: 64, batchSize: 16 } });
  bus.subscribe("job.run", offload(HANDLERS, "act", { timeoutMs: 200 }));
  const rounds = 16;
  const actions: string[] = [];
  for (let r = 0; r < rounds; r++) actions.push("exit", fault, "ok", "ok", "ok", "ok", "ok");
  const results = await Promise.all(actions.map((action, n) => bus.emit(new Event("job.run", "test", { n, action }))));

  const expected: Record<string, string | null> = {
    exit: "EBUS_WORKER_CRASHED",
    [fault]: "EBUS_HANDLER_TIMEOUT",
    ok: null,
  };
  expect(results.map((r) => r.errors[0]?.code ?? null)).toEqual(actions.map((a) => expected[a]));
  // The root cause is fixed, not papered over: the pool never had to be replaced.
  expect(errors.filter(isReplacement)).toEqual([]);
  expect(bus.getStats().workers.inFlight).toBe(0);
  const ok = [...actions.entries()].filter(([, a]) => a === "ok").map(([n]) => n);
  await until(() => ok.every((n) => reports.some((r) => r.n === n)), { message: "a report from every plain event" });
  const counts = countsByN(reports);
  for (const n of ok) expect(counts.get(n)).toBe(1);
  const after = await bus.emit(new Event("job.run", "test", { n: actions.length, action: "ok" }));
  expect(after.delivered).toBe(1);
}

describe("regressions", () => {
  // 54ce46e: the pool lost all its threads while batches were queued inside Piscina, and emits
  // stayed pending forever; every test of this file pins it.
  describe("pool liveness under thread deaths and timeouts (54ce46e)", () => {
    it(
      "thread deaths mixed with synchronous hangs: every emit settles, each event runs once",
      { timeout: 60_000 },
      () => deathsAndHangs("hang"),
    );

    it(
      "thread deaths mixed with asynchronous hangs: every emit settles, each event runs once",
      { timeout: 60_000 },
      () => deathsAndHangs("async-hang"),
    );

    it(
      "a death and a timeout that each end their batch, with batches waiting behind them, lose nothing",
      { timeout: 30_000 },
      async () => {
        // Batches of two: [ok, exit] and [ok, hang] take the two running threads and end with them;
        // nothing of theirs is left to send again, and the two batches behind them need a new thread.
        // (Piscina starts one only when a task is submitted or a thread frees up.)
        const { bus, errors } = watched({ workers: { maxThreads: 2, batchSize: 2 } });
        bus.subscribe("job.run", offload(HANDLERS, "act", { timeoutMs: 200 }));
        await Promise.all(
          [0, 1, 2, 3].map((n) => bus.emit(new Event("job.run", "warm-up", { n: 100 + n, action: "cpu", ms: 20 }))),
        );
        expect(bus.getStats().workers.threads).toBe(2);
        const actions = ["ok", "exit", "ok", "hang", "ok", "ok", "ok", "ok"];
        const results = await Promise.all(
          actions.map((action, n) => bus.emit(new Event("job.run", "test", { n, action }))),
        );
        expect(results.map((r) => r.errors[0]?.code ?? null)).toEqual([
          null,
          "EBUS_WORKER_CRASHED",
          null,
          "EBUS_HANDLER_TIMEOUT",
          null,
          null,
          null,
          null,
        ]);
        expect(errors.filter(isReplacement)).toEqual([]);
      },
    );

    it("both threads dying at once lose no other event", { timeout: 30_000 }, async () => {
      const { bus, errors, reports } = watched({ workers: { maxThreads: 2, batchSize: 16 } });
      bus.subscribe("job.run", offload(HANDLERS, "act"));
      const barrier = new SharedArrayBuffer(4);
      // One batch per thread, each led by a handler that waits for the other, then both exit.
      const actions = [
        "exit-together",
        ...Array<string>(15).fill("ok"),
        "exit-together",
        ...Array<string>(15).fill("ok"),
      ];
      const results = await Promise.all(
        actions.map((action, n) => bus.emit(new Event("job.run", "test", { n, action, barrier, parties: 2 }))),
      );

      expect(new Int32Array(barrier)[0]).toBe(2);
      expect(results.map((r) => r.errors[0]?.code ?? null)).toEqual(
        actions.map((a) => (a === "ok" ? null : "EBUS_WORKER_CRASHED")),
      );
      expect(errors.map((e) => e.code)).toEqual(["EBUS_WORKER_CRASHED", "EBUS_WORKER_CRASHED"]);
      const ok = [...actions.entries()].filter(([, a]) => a === "ok").map(([n]) => n);
      await until(() => ok.every((n) => reports.some((r) => r.n === n)), {
        message: "a report from every plain event",
      });
      const counts = countsByN(reports);
      for (const n of ok) expect(counts.get(n)).toBe(1);
      expect((await bus.emit(new Event("job.run", "test", { n: 99, action: "ok" }))).delivered).toBe(1);
      expect(bus.getStats().workers.threads).toBeGreaterThanOrEqual(1);
    });

    it(
      "a pool that can never keep a thread alive fails its emits with EBUS_WORKER_CRASHED instead of hanging",
      { timeout: 30_000 },
      async () => {
        // A 1 MB heap: every thread dies while starting, before it can take a task.
        const { bus, errors } = watched({
          workers: { maxThreads: 2, resourceLimits: { maxOldGenerationSizeMb: 1, maxYoungGenerationSizeMb: 1 } },
        });
        bus.subscribe("job.run", offload(HANDLERS, "act"));
        const started = Date.now();
        const results = await Promise.all(
          [0, 1, 2].map((n) => bus.emit(new Event("job.run", "test", { n, action: "ok" }))),
        );
        expect(results.map((r) => r.errors.map((e) => e.code))).toEqual([
          ["EBUS_WORKER_CRASHED"],
          ["EBUS_WORKER_CRASHED"],
          ["EBUS_WORKER_CRASHED"],
        ]);
        expect(results[0]!.errors[0]!.message).toMatch(/no worker thread could run it/);
        // Replaced a few times (a stall each), then given up: bounded, not forever.
        expect(errors.filter(isReplacement).length).toBeGreaterThanOrEqual(1);
        expect(Date.now() - started).toBeLessThan(15_000);
        expect(bus.getStats().workers.inFlight).toBe(0);
        // The replaced pool still has the bus's room for events (it read 0 once the pool was gone).
        expect(bus.getStats().workers.queueCapacity).toBe(1024);
      },
    );

    it(
      "close({ timeoutMs }) on a pool with no live thread settles every emit and returns",
      { timeout: 30_000 },
      async () => {
        const { bus } = watched({
          workers: { maxThreads: 2, resourceLimits: { maxOldGenerationSizeMb: 1, maxYoungGenerationSizeMb: 1 } },
        });
        bus.subscribe("job.run", offload(HANDLERS, "act"));
        const pending: Promise<EmitResult>[] = [0, 1, 2, 3].map((n) =>
          bus.emit(new Event("job.run", "test", { n, action: "ok" })),
        );
        // Let the pool reach its wedged state: threads dead, batches waiting.
        await until(() => bus.getStats().workers.inFlight > 0, { message: "the events to reach the pool" });
        const started = Date.now();
        await bus.close({ timeoutMs: 100 });
        expect(Date.now() - started).toBeLessThan(5_000);
        const results = await Promise.all(pending);
        for (const r of results)
          expect(r.errors.map((e) => e.code)).toEqual([expect.stringMatching(/^EBUS_(CLOSED|WORKER_CRASHED)$/)]);
      },
    );

    it(
      "close({ timeoutMs }) while every thread is blocked settles every emit and returns",
      { timeout: 30_000 },
      async () => {
        const { bus } = watched({ workers: { maxThreads: 2, batchSize: 1 } });
        // No timeoutMs: nothing stops the hangs but close().
        bus.subscribe("job.run", offload(HANDLERS, "act"));
        const actions = ["hang", "hang", "ok", "ok", "ok"];
        const pending = actions.map((action, n) => bus.emit(new Event("job.run", "test", { n, action })));
        await until(() => bus.getStats().workers.inFlight === actions.length, {
          message: "the events to reach the pool",
        });
        const started = Date.now();
        await bus.close({ timeoutMs: 200 });
        expect(Date.now() - started).toBeLessThan(5_000);
        const results = await Promise.all(pending);
        expect(results.map((r) => r.errors[0]?.code ?? null)).toEqual(
          Array<string>(actions.length).fill("EBUS_CLOSED"),
        );
      },
    );
  });
});
