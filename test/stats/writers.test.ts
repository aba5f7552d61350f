/**
 * The statistics buffer (docs/architecture.md: statistics in shared memory): 64-bit counters, striped per
 * thread and summed
 * on read, the log-bucket latency histogram, per-type overflow, and a real worker thread.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { bucketBounds, bucketOf, quantileOf } from "../../src/stats/histogram.js";
import { LAT_BUCKETS, LAT_MIN_EXP, S_DELIVERED, S_WORKER_COMPLETED, stripeOffset } from "../../src/stats/layout.js";
import { MainStatsWriter } from "../../src/stats/main-writer.js";
import { WorkerStatsWriter } from "../../src/stats/worker-writer.js";
import { seededRandom } from "../support/random.js";

describe("stats writers: counters", () => {
  it("are 64-bit: they count past 2^32 without wrapping", () => {
    const block = MainStatsWriter.create({ workerStripes: 1, typeCapacity: 4 });
    const big = 2 ** 40;
    for (let i = 0; i < 3; i++) block.countDeliveries(big, 2 ** 33, 2 ** 31 + 7);
    const snap = block.snapshot();
    expect(snap.delivered).toBe(3 * big);
    expect(snap.filteredOut).toBe(3 * 2 ** 33);
    expect(snap.failed).toBe(3 * (2 ** 31 + 7));
  });

  it("sum every stripe on read; each thread writes its own stripe", () => {
    const main = MainStatsWriter.create({ workerStripes: 3, typeCapacity: 4 });
    const w1 = WorkerStatsWriter.attach(main.buffer);
    const w2 = WorkerStatsWriter.attach(main.buffer);
    main.countDeliveries(1, 0, 0);
    w1.countDeliveries(10, 0, 0);
    w2.countDeliveries(100, 0, 0);
    w1.countWorkerOutcome(true);
    w2.countWorkerOutcome(false);
    for (const view of [main, w1, w2]) {
      expect(view.snapshot()).toMatchObject({ delivered: 111, workerCompleted: 1, workerFailed: 1 });
    }
    const slots = new BigInt64Array(main.buffer);
    expect([1, 2, 3].map((s) => slots[stripeOffset(s) + S_DELIVERED])).toEqual([10n, 100n, 0n]);
    expect(slots[stripeOffset(0) + S_DELIVERED]).toBe(1n);
  });

  it("wraps stripe claims around when more workers attach than there are stripes, still counting right", () => {
    const main = MainStatsWriter.create({ workerStripes: 2, typeCapacity: 1 });
    const views = Array.from({ length: 5 }, () => WorkerStatsWriter.attach(main.buffer));
    views.forEach((v, i) => v.countDeliveries(i + 1, 0, 0));
    expect(main.snapshot().delivered).toBe(15);
    expect(main.eventCounts()).toEqual({}); // no worker wrote into the type table
  });

  it("refuses a buffer that is not a statistics buffer", () => {
    expect(() => WorkerStatsWriter.attach(new SharedArrayBuffer(1024))).toThrow(TypeError);
  });

  it("counts per-type up to typeCapacity, the rest in the overflow slot; reset frees the table", () => {
    const block = MainStatsWriter.create({ workerStripes: 1, typeCapacity: 3 });
    for (const type of ["a", "b", "__proto__", "d", "e", "a", "d"]) block.countEmit(type);
    expect(block.eventCounts()).toStrictEqual(JSON.parse('{"a":2,"b":1,"__proto__":1}'));
    expect(block.overflowCount()).toBe(3);
    expect(block.snapshot().emitted).toBe(7);
    block.reset();
    expect(block.eventCounts()).toEqual({});
    expect(block.overflowCount()).toBe(0);
    block.countEmit("d");
    expect(block.eventCounts()).toEqual({ d: 1 });
  });

  it("reset zeroes counters in every stripe but keeps the in-flight gauges", () => {
    const main = MainStatsWriter.create({ workerStripes: 1, typeCapacity: 1 });
    const worker = WorkerStatsWriter.attach(main.buffer);
    main.countDeliveries(5, 6, 7);
    worker.countWorkerOutcome(true);
    main.addInFlight(4);
    main.addWorkerInFlight(9);
    main.addWorkerInFlight(-7);
    main.recordLatency(5_000);
    expect(main.snapshot()).toMatchObject({ inFlight: 4, workerInFlight: 2, workerInFlightPeak: 9 });
    main.reset();
    expect(main.snapshot()).toMatchObject({
      emitted: 0,
      delivered: 0,
      filteredOut: 0,
      failed: 0,
      workerCompleted: 0,
      inFlight: 4,
      workerInFlight: 2,
      workerInFlightPeak: 2,
      latency: { samples: 0, meanMs: 0, p50Ms: 0 },
    });
  });
});

describe("latency histogram", () => {
  it("puts every value inside its bucket's bounds, buckets rising with the value", () => {
    let previous = 0;
    for (let ns = 1; ns < 2 ** 37; ns = Math.ceil(ns * 1.013) + 1) {
      const b = bucketOf(ns);
      expect(b).toBeGreaterThanOrEqual(previous);
      expect(b).toBeLessThan(LAT_BUCKETS);
      const [low, high] = bucketBounds(b);
      expect(ns >= low && ns < high, `${ns} in bucket ${b} [${low}, ${high})`).toBe(true);
      previous = b;
    }
  });

  it("handles the edges: zero, negative, NaN, sub-microsecond, exact powers of two, huge", () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(-5)).toBe(0);
    expect(bucketOf(Number.NaN)).toBe(0);
    expect(bucketOf(2 ** LAT_MIN_EXP - 1)).toBe(0);
    expect(bucketOf(2 ** LAT_MIN_EXP)).toBe(1);
    for (let e = LAT_MIN_EXP; e < 37; e++) {
      expect(bucketBounds(bucketOf(2 ** e))[0]).toBe(2 ** e);
      expect(bucketBounds(bucketOf(2 ** e - 2 ** (e - 40)))[1]).toBe(2 ** e); // just below: the bucket under it
    }
    expect(bucketOf(1e15)).toBe(LAT_BUCKETS - 1);
    expect(bucketOf(Number.POSITIVE_INFINITY)).toBe(LAT_BUCKETS - 1);
  });

  it("quantileOf of nothing is 0", () => {
    expect(quantileOf(new Array<number>(LAT_BUCKETS).fill(0), 0.5)).toBe(0);
  });

  it("reports p50 and p99 within one bucket of the true value on known inputs", () => {
    const random = seededRandom(7);
    const inputs: Record<string, number[]> = {
      uniform: Array.from({ length: 10_000 }, (_, i) => 1_000 + i * 1_000), // 1 us .. 10 ms
      lognormal: Array.from({ length: 5_000 }, () =>
        Math.exp(9 + 3 * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())),
      ),
      bimodal: Array.from({ length: 4_000 }, (_, i) => (i % 10 === 0 ? 5e6 + random() * 1e6 : 2e3 + random() * 1e3)),
      constant: Array.from({ length: 100 }, () => 123_456),
    };
    for (const [name, values] of Object.entries(inputs)) {
      const counts = new Array<number>(LAT_BUCKETS).fill(0);
      const block = MainStatsWriter.create({ workerStripes: 1, typeCapacity: 1 });
      for (const v of values) {
        counts[bucketOf(v)]!++;
        block.recordLatency(v);
      }
      const sorted = [...values].sort((a, b) => a - b);
      const snap = block.snapshot();
      for (const [q, fromBlockMs] of [
        [0.5, snap.latency.p50Ms],
        [0.99, snap.latency.p99Ms],
      ] as const) {
        const truth = sorted[Math.ceil(q * sorted.length) - 1]!;
        const reported = quantileOf(counts, q);
        expect(
          Math.abs(bucketOf(reported) - bucketOf(truth)),
          `${name} q${q}: ${reported} vs ${truth}`,
        ).toBeLessThanOrEqual(1);
        expect(fromBlockMs * 1e6).toBeCloseTo(reported, 3);
      }
      expect(snap.latency.samples).toBe(values.length);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      expect(Math.abs(snap.latency.meanMs * 1e6 - mean) / mean).toBeLessThan(0.01);
    }
  });
});

const STATS_MODULE = new URL("../../dist/src/stats/worker-writer.js", import.meta.url);

/** A worker that attaches to the buffer and counts `n` times, in parallel with the main thread. */
const WORKER_CODE = `
const { workerData, parentPort } = require("node:worker_threads");
import(workerData.moduleUrl).then(({ WorkerStatsWriter }) => {
  const block = WorkerStatsWriter.attach(workerData.buffer);
  parentPort.postMessage("attached");
  for (let i = 0; i < workerData.n; i++) {
    block.countDeliveries(1, 0, 0);
    block.countWorkerOutcome(i % 4 !== 0);
  }
  block.recordLatency(2_000_000);
  parentPort.postMessage("done");
});
`;

function runWorker(buffer: SharedArrayBuffer, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_CODE, { eval: true, workerData: { buffer, n, moduleUrl: STATS_MODULE.href } });
    worker.on("message", (message) => {
      if (message === "done") resolve();
    });
    worker.on("error", reject);
    worker.on("exit", (code) => {
      if (code !== 0) reject(new Error(`worker exited with ${code}`));
    });
  });
}

describe("stats writers across real worker threads", () => {
  it("a WorkerStatsWriter attached in a worker counts in its own stripe; the main thread's snapshot sums it", async () => {
    expect(existsSync(fileURLToPath(STATS_MODULE)), "build first (npm test runs the build): workers need dist/").toBe(
      true,
    );
    const main = MainStatsWriter.create({ workerStripes: 4, typeCapacity: 4 });
    const n = 50_000;
    const workers = [runWorker(main.buffer, n), runWorker(main.buffer, n)];
    for (let i = 0; i < n; i++) main.countDeliveries(1, 0, 0); // contended with the workers
    await Promise.all(workers);
    const snap = main.snapshot();
    expect(snap.delivered).toBe(3 * n);
    expect(snap.workerCompleted).toBe(2 * (n - n / 4));
    expect(snap.workerFailed).toBe(2 * (n / 4));
    expect(snap.latency.samples).toBe(2);
    const slots = new BigInt64Array(main.buffer);
    expect(slots[stripeOffset(0) + S_DELIVERED]).toBe(BigInt(n)); // the main thread's own stripe
    expect(slots[stripeOffset(0) + S_WORKER_COMPLETED]).toBe(0n);
    const workerStripes = [1, 2, 3, 4].map((s) => slots[stripeOffset(s) + S_DELIVERED]!);
    expect(workerStripes.filter((v) => v === BigInt(n))).toHaveLength(2); // one stripe each
  });
});
