/**
 * Memory stays bounded: events through a bus with history 1000, repeated types and all-unique
 * types (the history ring, the per-type counters and the trie's match cache are all bounded).
 * Measured in a child process with --expose-gc (heap after a full GC); the figures are printed.
 * Default: 100k and 20k events; RELIABILITY_LONG=1: 1M and 200k.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { LONG, size } from "../support/random.js";

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("../support/scripts/memory.mjs", import.meta.url));

interface MemoryReport {
  mode: string;
  events: number;
  warmup: number;
  heapBeforeMb: number;
  heapAfterMb: number;
  heapPeakMb: number;
  seconds: number;
  historySize: number;
  emitted: number;
  eventCountKeys: number;
  eventCountsOverflow: number;
  delivered: number;
  received: number;
}

/** Generous: a leak of 10 bytes an event over 1M events, or 100 over 100k, goes past it. */
const MAX_GROWTH_MB = 10;
const MAX_PEAK_GROWTH_MB = 20;

async function measure(mode: "repeat" | "unique", events: number): Promise<MemoryReport> {
  const { stdout } = await run(process.execPath, ["--expose-gc", SCRIPT, mode, String(events)], {
    timeout: LONG ? 600_000 : 60_000,
  });
  const report = JSON.parse(stdout.trim().split("\n").pop()!) as MemoryReport;
  console.log(
    `[reliability] memory (${mode} types): ${report.events} events (+${report.warmup} warm-up) in ${report.seconds} s; ` +
      `heap ${report.heapBeforeMb} MB before, ${report.heapAfterMb} MB after, ${report.heapPeakMb} MB at most`,
  );
  return report;
}

function expectBounded(r: MemoryReport): void {
  const all = r.events + r.warmup;
  expect(r.emitted).toBe(all);
  expect(r.historySize).toBe(1000);
  // Every event reached "*" and "mem.*", every even one "m*": nothing was dropped on the way.
  expect(r.received).toBe(2 * all + all / 2);
  expect(r.delivered).toBe(r.received);
  expect(r.heapAfterMb - r.heapBeforeMb).toBeLessThan(MAX_GROWTH_MB);
  expect(r.heapPeakMb - r.heapBeforeMb).toBeLessThan(MAX_PEAK_GROWTH_MB);
}

describe("memory stays bounded", () => {
  it("through a bus with history 1000", { timeout: LONG ? 600_000 : 60_000 }, async () => {
    const r = await measure("repeat", size(100_000, 1_000_000));
    expectBounded(r);
    expect(r.eventCountKeys).toBe(2);
  });

  it("with every event of a type never seen before", { timeout: LONG ? 600_000 : 60_000 }, async () => {
    const r = await measure("unique", size(20_000, 200_000));
    expectBounded(r);
    // Per-type counts stop at stats.typeCapacity (1024); the rest are counted in the overflow.
    expect(r.eventCountKeys).toBe(1024);
    expect(r.eventCountKeys + r.eventCountsOverflow).toBe(r.emitted);
  });
});
