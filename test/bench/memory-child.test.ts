/**
 * The memory scenario's child process (dist/bench/memory-child.js) reads the bus's figures,
 * some through its internals: a refactoring that moves them must fail here, not in a CI bench run.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const CHILD = fileURLToPath(new URL("../../dist/bench/memory-child.js", import.meta.url));
const run = promisify(execFile);

interface ChildReport {
  mode: string;
  count: number;
  samples: { emits: number; heapUsed: number }[];
  extra: Record<string, number>;
}

async function child(mode: string, count: number): Promise<ChildReport> {
  const { stdout } = await run(process.execPath, ["--expose-gc", CHILD, mode, String(count)]);
  return JSON.parse(stdout) as ChildReport;
}

describe("the memory scenario's child", () => {
  it("reports history, the trie's cached topics and the per-type counts, bounded", async () => {
    for (const mode of ["history", "unique"]) {
      const report = await child(mode, 2000);
      expect(report.samples.at(-1)?.emits).toBe(2000);
      expect(report.extra["historySize"]).toBe(1000);
      // The trie's match cache holds at most 4096 topics; the stats count at most 1024 types.
      expect(report.extra["cachedTopics"]).toBeGreaterThan(0);
      expect(report.extra["cachedTopics"]).toBeLessThanOrEqual(4096);
      expect(report.extra["typesCounted"]).toBeLessThanOrEqual(1024);
    }
  });
});
