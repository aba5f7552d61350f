/**
 * `neurobus bench --handler` (bench/handler/): the JSON it writes and the table it prints, the
 * inline handler's context, rounds and exact percentiles; the advice rule (offload or stay inline,
 * and how many threads); and the open and closed load loops (a stall shows in every event due
 * during it; a window bounds what is in flight; the deadline stops them).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { advise } from "../../bench/handler/advice.js";
import { BenchRunError, closedLoop, openLoop, type EmitFn } from "../../bench/handler/load.js";
import type { HandlerOptions } from "../../bench/handler/options.js";
import { renderHandlerReport } from "../../bench/handler/render.js";
import { latencyPercentiles, type HandlerResults, type HandlerRun } from "../../bench/handler/result.js";
import { perRoundEvents, runHandlerBench } from "../../bench/handler/run.js";
import type { EmitResult } from "../../src/index.js";
import { CLI, exitOf } from "../support/cli.js";
import { FIXTURES } from "../support/offload.js";

const SILENT = { update() {}, done() {} };
const OK: EmitResult = { eventId: "e", matched: 1, delivered: 1, filtered: 0, failed: 0, errors: [] };

/** A run with the figures that matter to the advice; the others are plausible fillers. */
function run(
  mode: "inline" | "offload",
  threads: number,
  eventsPerSec: number,
  delayMs: number,
  delaySamples = 500,
): HandlerRun {
  return {
    mode,
    threads,
    events: 10_000,
    eventsPerSec,
    latencyMs: { p50: 1, p90: 2, p99: 3, p999: 4, max: 5 },
    eventLoopDelayP99Ms: delayMs,
    eventLoopDelaySamples: delaySamples,
    eventLoopDelayTooFewSamples: delaySamples < 20,
    mainThreadUsPerEvent: 10,
    cpuCores: 1,
    failed: 0,
    firstError: null,
    rounds: 3,
    perRound: {
      eventsPerSec: [eventsPerSec],
      latencyP50Ms: [1],
      latencyP99Ms: [3],
      eventLoopDelayP99Ms: [delayMs],
      mainThreadUsPerEvent: [10],
    },
  };
}

/** The options of a run of `exportName` from the bench-handlers fixture, small and quick. */
function handlerOptions(exportName: string, overrides: Partial<HandlerOptions>): HandlerOptions {
  return {
    spec: exportName,
    module: pathToFileURL(join(FIXTURES, "bench-handlers.mjs")),
    exportName,
    payloads: [{}],
    type: "bench.event",
    events: 40,
    seconds: 30,
    threads: [1],
    rate: null,
    window: 8,
    warmup: 0,
    rounds: 2,
    timeoutMs: 30_000,
    json: undefined,
    report: undefined,
    ...overrides,
  };
}

describe("neurobus bench --handler: the JSON and the table", () => {
  it("writes the documented JSON shape, a table row per mode, and the advice", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-json-"));
    const json = join(dir, "out.json");
    const args = [
      CLI,
      "bench",
      "--handler",
      `${FIXTURES}bench-handlers.mjs#trivial`,
      "--events",
      "600",
      "--threads",
      "1,2",
      "--rounds",
      "2",
      "--warmup",
      "50",
      "--json",
      json,
    ];
    const { code, stdout, stderr } = await exitOf(args);
    expect(code, stderr).toBe(0);
    const results = JSON.parse(readFileSync(json, "utf8")) as HandlerResults;
    expect(results).toMatchObject({
      handler: expect.stringMatching(/bench-handlers\.mjs#trivial$/),
      node: process.version,
      cpus: expect.any(Number),
      package: expect.any(String),
    });
    expect(results.runs.map((r) => [r.mode, r.threads])).toEqual([
      ["inline", 0],
      ["offload", 1],
      ["offload", 2],
    ]);
    for (const r of results.runs) {
      expect(r.events).toBe(600);
      expect(r.eventsPerSec).toBeGreaterThan(0);
      const l = r.latencyMs;
      expect(Object.keys(l).sort()).toEqual(["max", "p50", "p90", "p99", "p999"]);
      expect(l.p50).toBeLessThanOrEqual(l.p90);
      expect(l.p90).toBeLessThanOrEqual(l.p99);
      expect(l.p99).toBeLessThanOrEqual(l.p999);
      expect(l.p999).toBeLessThanOrEqual(l.max);
      expect(typeof r.eventLoopDelayP99Ms).toBe("number");
      expect(Number.isInteger(r.eventLoopDelaySamples)).toBe(true);
      expect(r.eventLoopDelayTooFewSamples).toBe(r.eventLoopDelaySamples < 20);
      expect(r.mainThreadUsPerEvent).toBeGreaterThan(0);
      expect(r.failed).toBe(0);
      expect(r.perRound.eventsPerSec).toHaveLength(2);
    }
    expect(["inline", "offload"]).toContain(results.recommendation.mode);
    expect(results.recommendation.reason).toMatch(/^(stay inline|offload with \d+ threads?)/);
    expect(stdout).toMatch(
      /^\| mode \| events \| events\/s \(median\) \| spread \| p50 \| p90 \| p99 \| p99\.9 \| max \| event-loop delay p99 \| main thread µs\/event \| CPU \(cores\) \|$/m,
    );
    expect(stdout).toMatch(/^\| inline \| 600 \|/m);
    expect(stdout).toMatch(/^\| offload ×2 \| 600 \|/m);
    expect(stdout).toMatch(/2 rounds per mode/);
    expect(stdout).toContain(`**Advice:** ${results.recommendation.reason}.`);
    // No TTY here: no progress bar in the output.
    expect(stderr).not.toMatch(/\[#*-*\]/);
  });

  it("gives an inline handler a context whose emit goes to the bus, and counts handler failures", async () => {
    const module = pathToFileURL(join(FIXTURES, "bench-handlers.mjs"));
    const fixtures = (await import(module.href)) as { forwardedResults: EmitResult[] };
    const base = handlerOptions("forwards", { events: 40, threads: [], window: 8, rounds: 2 });
    const forwarded = await runHandlerBench(base, SILENT, "test");
    expect(forwarded.runs.map((r) => r.failed)).toEqual([0]);
    // The fixture keeps every EmitResult its ctx.emit returned: each reached the bus (no subscriber).
    expect(fixtures.forwardedResults.length).toBeGreaterThanOrEqual(41);
    expect(fixtures.forwardedResults.every((r) => typeof r.eventId === "string" && r.matched === 0)).toBe(true);
    const failing = await runHandlerBench({ ...base, spec: "fails", exportName: "fails" }, SILENT, "test");
    expect(failing.runs[0]!.failed).toBe(40);
    expect(failing.runs[0]!.firstError).toMatch(/handler failure for the test/);
    expect(failing.recommendation).toMatchObject({ mode: "none", threads: 0 });
    expect(failing.recommendation.reason).toMatch(
      /^no advice: every measured event failed \(first error: handler .* failed: handler failure for the test\)$/,
    );
  });

  it("stops with a BenchRunError naming the mode when events stay unsettled past --timeout (no hang)", async () => {
    const options = handlerOptions("never", { events: 4, window: 4, rounds: 1, timeoutMs: 150 });
    const run = runHandlerBench(options, SILENT, "test");
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise((resolve) => (timer = setTimeout(() => resolve("hung"), 20_000)));
    const outcome = await Promise.race([
      run.then(
        () => "resolved",
        (err: unknown) => err,
      ),
      hung,
    ]);
    clearTimeout(timer);
    expect(outcome).toBeInstanceOf(BenchRunError);
    expect((outcome as Error).message).toMatch(
      /^inline: 1 event still unsettled after 150 ms \(--timeout\): the handler never returned or resolved/,
    );
  });

  it("gives no main-thread cost or CPU in the open loop, whose pacing keeps the loop turning", async () => {
    const options = handlerOptions("trivial", { events: 200, rate: 2000, window: 8, rounds: 2 });
    const open = await runHandlerBench(options, SILENT, "test");
    expect(open.loop).toBe("open");
    for (const r of open.runs) {
      expect(r.events).toBe(200);
      expect(r.mainThreadUsPerEvent).toBeNull();
      expect(r.cpuCores).toBeNull();
      expect(r.perRound.mainThreadUsPerEvent).toEqual([]);
    }
    const report = renderHandlerReport(open);
    expect(report).toMatch(/^\| inline \| 200 \|.* \| — \| — \|$/m);
    expect(report).toMatch(/Main thread µs\/event and CPU: measured in the closed loop only/);
    // The closed loop measures them.
    const closed = await runHandlerBench({ ...options, rate: null }, SILENT, "test");
    for (const r of closed.runs) {
      expect(r.mainThreadUsPerEvent).toBeGreaterThan(0);
      expect(r.cpuCores).toBeGreaterThan(0);
      expect(r.perRound.mainThreadUsPerEvent).toHaveLength(2);
    }
  });

  it("splits the events over the rounds exactly", () => {
    expect(perRoundEvents(10, 3)).toEqual([4, 3, 3]);
    expect(perRoundEvents(9, 3)).toEqual([3, 3, 3]);
  });

  it("computes exact, ordered percentiles from the recorded latencies", () => {
    const values = Float64Array.from({ length: 1000 }, (_, i) => 1000 - i);
    expect(latencyPercentiles(values)).toEqual({ p50: 500, p90: 900, p99: 990, p999: 999, max: 1000 });
  });
});

describe("the advice rule", () => {
  it("offloads a ~1 ms CPU handler on 2 cores, with the fewest threads near the best rate", () => {
    // Figures of the shape such a handler gives: inline ~950/s with the loop blocked per window,
    // 1 thread about the inline rate, 2 threads nearly twice it, the loop free.
    const advice = advise([run("inline", 0, 950, 270, 30), run("offload", 1, 930, 4), run("offload", 2, 1750, 6)]);
    expect(advice.mode).toBe("offload");
    expect(advice.threads).toBe(2);
    expect(advice.reason).toMatch(
      /^offload with 2 threads: 1\.8x the inline rate .* event-loop delay p99 6\.0 ms instead of 270 ms$/,
    );
  });

  it("keeps a trivial handler inline, and prefers fewer threads within 10% of the best", () => {
    const trivial = advise([
      run("inline", 0, 400_000, 0.5),
      run("offload", 1, 60_000, 1),
      run("offload", 2, 64_000, 1),
    ]);
    expect(trivial).toMatchObject({ mode: "inline", threads: 0 });
    expect(trivial.reason).toMatch(/^stay inline: 6\.7x the best offloaded rate .* with 1 thread\)/);
    const fewer = advise([run("inline", 0, 1000, 10), run("offload", 2, 1900, 1), run("offload", 4, 2000, 1)]);
    expect(fewer).toMatchObject({ mode: "offload", threads: 2 });
  });

  it("gives no advice when every event failed, and says so when some did", () => {
    const failed = (r: HandlerRun, n: number): HandlerRun => ({ ...r, failed: n, firstError: n > 0 ? "boom" : null });
    expect(advise([failed(run("inline", 0, 1000, 1), 10_000), failed(run("offload", 1, 900, 1), 10_000)])).toEqual({
      mode: "none",
      threads: 0,
      reason: "no advice: every measured event failed (first error: boom)",
    });
    const some = advise([failed(run("inline", 0, 1000, 1), 5), run("offload", 1, 2000, 1)]);
    expect(some.mode).toBe("offload");
    expect(some.reason).toMatch(/; but events failed \(5 of 10000 inline\), and their rates count them$/);
  });

  it("offloads for responsiveness only on delays measured on enough samples", () => {
    const blocking = [run("inline", 0, 1000, 300), run("offload", 2, 800, 5)];
    expect(advise(blocking)).toMatchObject({
      mode: "offload",
      threads: 2,
      reason: expect.stringMatching(/for responsiveness/),
    });
    const fewSamples = [run("inline", 0, 1000, 300, 5), run("offload", 2, 800, 5)];
    expect(advise(fewSamples)).toMatchObject({ mode: "inline", reason: expect.stringMatching(/too few samples: 5/) });
  });
});

describe("load loops", () => {
  it("open loop: a stall shows in the latency of every event due during it (no coordinated omission)", async () => {
    const rate = 1000;
    const stallMs = 150;
    const emit: EmitFn = (i) => {
      if (i === 20) {
        const until = performance.now() + stallMs;
        while (performance.now() < until);
      }
      return Promise.resolve(OK);
    };
    const outcome = await openLoop(emit, {
      events: 300,
      deadline: performance.now() + 60_000,
      rate,
      timeoutMs: 60_000,
    });
    expect(outcome.events).toBe(300);
    // Events 21..~170 fell due during the stall: each waited for it to end. Timed from its own
    // send (the closed-loop way), each would look instant.
    const late = [...outcome.latencies].filter((ms) => ms >= 20);
    expect(late.length).toBeGreaterThanOrEqual(100);
    // The first one due after the stall began waited close to the whole stall.
    expect(Math.max(...outcome.latencies)).toBeGreaterThanOrEqual(stallMs * 0.8);
  });

  it("closed loop: keeps at most a window in flight and times each event from its emit", async () => {
    let inFlight = 0;
    let peak = 0;
    const emit: EmitFn = () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      return new Promise((resolve) =>
        setTimeout(() => {
          inFlight--;
          resolve(OK);
        }, 2),
      );
    };
    const outcome = await closedLoop(emit, {
      events: 50,
      deadline: performance.now() + 60_000,
      window: 8,
      timeoutMs: 60_000,
    });
    expect(outcome.events).toBe(50);
    expect(peak).toBe(8);
    expect(Math.min(...outcome.latencies)).toBeGreaterThanOrEqual(1);
  });

  it("sends the first event even past the deadline, and an open loop at a low rate stops at the deadline", async () => {
    const late = await closedLoop(() => Promise.resolve(OK), {
      events: 10,
      deadline: performance.now() - 1,
      window: 4,
      timeoutMs: 60_000,
    });
    expect(late.events).toBe(4);
    const openLate = await openLoop(() => Promise.resolve(OK), {
      events: 10,
      deadline: performance.now() - 1,
      rate: 1,
      timeoutMs: 60_000,
    });
    expect(openLate.events).toBe(1);
    // At 0.01 events/s the second event is due in 100 s: the loop must end at its 200 ms deadline.
    const slow = openLoop(() => Promise.resolve(OK), {
      events: 10,
      deadline: performance.now() + 200,
      rate: 0.01,
      timeoutMs: 60_000,
    });
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<"hung">((resolve) => (timer = setTimeout(() => resolve("hung"), 10_000)));
    const outcome = await Promise.race([slow, hung]);
    clearTimeout(timer);
    expect(outcome).not.toBe("hung");
    expect((outcome as { events: number }).events).toBe(1);
  });

  it("closed loop: a window still unsettled after timeoutMs rejects with a BenchRunError counting what is out", async () => {
    let n = 0;
    const emit: EmitFn = () => (n++ % 2 === 0 ? Promise.resolve(OK) : new Promise<EmitResult>(() => {}));
    await expect(
      closedLoop(emit, { events: 8, deadline: performance.now() + 60_000, window: 4, timeoutMs: 100 }),
    ).rejects.toThrow(/^2 events still unsettled after 100 ms \(--timeout\)/);
  });

  it("stops at the deadline", async () => {
    const outcome = await openLoop(() => Promise.resolve(OK), {
      events: 1_000_000,
      deadline: performance.now() + 50,
      rate: 1000,
      timeoutMs: 60_000,
    });
    expect(outcome.events).toBeLessThan(1000);
    expect(outcome.latencies).toHaveLength(outcome.events);
  });
});
