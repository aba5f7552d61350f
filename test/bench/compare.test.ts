/**
 * `neurobus bench compare` (bench/compare.ts): a change is flagged only beyond the runs' own
 * spread; two --handler runs compare mode by mode and two suite runs task by task; files that
 * cannot be compared exit with status 2.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareFiles, judge, type Figure } from "../../bench/compare.js";
import type { HandlerResults, HandlerRun } from "../../bench/handler/result.js";
import { BenchUsageError } from "../../bench/usage-error.js";
import { CLI, exitOf } from "../support/cli.js";

const rate = (v: number): string => String(v);
const figure = (before: number[], after: number[], higherIsBetter = true): Figure => ({
  label: "x",
  before,
  after,
  higherIsBetter,
  format: rate,
});

function handlerRun(mode: "inline" | "offload", threads: number, rates: number[], p99: number[]): HandlerRun {
  return {
    mode,
    threads,
    events: 1000,
    eventsPerSec: rates[1]!,
    latencyMs: { p50: 1, p90: 1, p99: p99[1]!, p999: 9, max: 9 },
    eventLoopDelayP99Ms: 1,
    eventLoopDelaySamples: 100,
    eventLoopDelayTooFewSamples: false,
    mainThreadUsPerEvent: 5,
    cpuCores: 1,
    failed: 0,
    firstError: null,
    rounds: rates.length,
    perRound: {
      eventsPerSec: rates,
      latencyP50Ms: [1, 1, 1],
      latencyP99Ms: p99,
      eventLoopDelayP99Ms: [1, 1, 1],
      mainThreadUsPerEvent: [5, 5, 5],
    },
  };
}

function handlerJson(runs: HandlerRun[]): HandlerResults {
  return {
    handler: "h.mjs#work",
    node: "v20",
    cpus: 2,
    package: "0.1.0",
    type: "bench.event",
    loop: "closed",
    window: 64,
    rate: null,
    warmupEvents: 0,
    rounds: 3,
    date: "",
    runs,
    recommendation: { mode: "inline", threads: 0, reason: "" },
  };
}

describe("neurobus bench compare", () => {
  it("flags a change only beyond the runs' own spread", () => {
    expect(judge(figure([100, 105, 110], [120, 125, 130])).verdict).toBe("better");
    expect(judge(figure([100, 105, 110], [80, 85, 90])).verdict).toBe("worse");
    expect(judge(figure([100, 105, 110], [108, 115, 120])).verdict).toBe("within spread");
    // Lower is better for times: the same numbers read the other way.
    expect(judge(figure([100, 105, 110], [80, 85, 90], false)).verdict).toBe("better");
    expect(judge(figure([100], [200])).verdict).toBe("unknown spread");
    expect(judge(figure([100, 100, 100], [125, 125, 125])).relative).toBeCloseTo(0.25);
  });

  it("compares two --handler runs mode by mode, and two suite runs task by task", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-compare-"));
    const before = join(dir, "before.json");
    const after = join(dir, "after.json");
    writeFileSync(
      before,
      JSON.stringify(
        handlerJson([
          handlerRun("inline", 0, [900, 950, 1000], [3, 3, 3]),
          handlerRun("offload", 2, [1600, 1700, 1800], [5, 5, 6]),
        ]),
      ),
    );
    writeFileSync(
      after,
      JSON.stringify(
        handlerJson([
          handlerRun("inline", 0, [920, 960, 990], [3, 3, 3]),
          handlerRun("offload", 2, [2000, 2100, 2200], [5, 6, 6]),
          handlerRun("offload", 4, [1, 1, 1], [1, 1, 1]),
        ]),
      ),
    );
    const changes = compareFiles(before, after);
    const verdict = (label: string): string | undefined => changes.find((c) => c.figure.label === label)?.verdict;
    expect(verdict("inline: events/s")).toBe("within spread");
    expect(verdict("offload ×2: events/s")).toBe("better");
    expect(changes.some((c) => c.figure.label.startsWith("offload ×4"))).toBe(false);

    const { code, stdout } = await exitOf([CLI, "bench", "compare", before, after]);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^\| offload ×2: events\/s \| 1\.7 k\/s \| 2\.1 k\/s \| \+23\.5% \| 3 \/ 3 \| \*\*better\*\* \|$/m,
    );
    expect(stdout).toMatch(/1 of 10 figures changed beyond the spread: offload ×2: events\/s \(better\)/);

    const suite = (ns: number[]): unknown => ({
      environment: {},
      config: {},
      scenarios: {
        stats: { tables: [{ title: "Stats", rows: [{ name: "emit", medianNs: ns[1], roundMediansNs: ns }] }] },
      },
    });
    writeFileSync(before, JSON.stringify(suite([100, 110, 120])));
    writeFileSync(after, JSON.stringify(suite([150, 160, 170])));
    expect(compareFiles(before, after).map((c) => [c.figure.label, c.verdict])).toEqual([["Stats: emit", "worse"]]);
  });

  it("leaves out the main-thread figure of open-loop runs, which have none", () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-compare-open-"));
    const openRun = (rates: number[]): HandlerRun => ({
      ...handlerRun("offload", 1, rates, [2, 2, 2]),
      mainThreadUsPerEvent: null,
      cpuCores: null,
      perRound: { ...handlerRun("offload", 1, rates, [2, 2, 2]).perRound, mainThreadUsPerEvent: [] },
    });
    const before = join(dir, "before.json");
    const after = join(dir, "after.json");
    writeFileSync(before, JSON.stringify({ ...handlerJson([openRun([100, 100, 100])]), loop: "open", rate: 100 }));
    writeFileSync(after, JSON.stringify({ ...handlerJson([openRun([100, 101, 99])]), loop: "open", rate: 100 }));
    const labels = compareFiles(before, after).map((c) => c.figure.label);
    expect(labels).toContain("offload ×1: events/s");
    expect(labels.some((l) => l.includes("main thread"))).toBe(false);
  });

  it("refuses files it cannot compare, with exit status 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-compare-bad-"));
    const handler = join(dir, "handler.json");
    const other = join(dir, "other.json");
    writeFileSync(handler, JSON.stringify(handlerJson([handlerRun("inline", 0, [1, 2, 3], [1, 1, 1])])));
    writeFileSync(other, JSON.stringify({ hello: "world" }));
    expect(() => compareFiles(handler, other)).toThrow(BenchUsageError);
    expect(() => compareFiles(handler, join(dir, "missing.json"))).toThrow(/cannot read .*missing\.json as JSON/);
    const { code, stderr } = await exitOf([CLI, "bench", "compare", handler, other]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /other\.json is neither the JSON of `neurobus bench --handler \.\.\. --json` nor of `neurobus bench --json`/,
    );
  });

  it("refuses, with exit status 2 and the field, a file of the right kind whose figures are missing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-compare-cut-"));
    const good = join(dir, "good.json");
    writeFileSync(good, JSON.stringify(handlerJson([handlerRun("inline", 0, [1, 2, 3], [1, 1, 1])])));
    const cases: [object, RegExp][] = [
      [{ runs: 5, recommendation: 1 }, /runs is not an array/],
      [{ runs: [{ mode: "inline", threads: 0 }], recommendation: 1 }, /runs\[0\]\.perRound is missing/],
      [{ scenarios: null, environment: 1 }, /scenarios is not an object/],
      [
        { scenarios: { a: { tables: [{ title: "t", rows: [{ name: "x" }] }] } }, environment: 1 },
        /rows\[0\] has no name and roundMediansNs/,
      ],
    ];
    for (const [json, message] of cases) {
      const bad = join(dir, "bad.json");
      writeFileSync(bad, JSON.stringify(json));
      expect(() => compareFiles(bad, good)).toThrow(message);
    }
    writeFileSync(join(dir, "cut.json"), JSON.stringify({ runs: 5, recommendation: 1 }));
    const { code, stderr } = await exitOf([CLI, "bench", "compare", join(dir, "cut.json"), good]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/cut\.json looks like the JSON of a --handler run, but runs is not an array/);
  });
});
