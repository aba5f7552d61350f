/**
 * The demo's progress view (src/cli/render.ts): the bar and percentage of the nearer budget
 * (--events or --seconds), and one line per sample when writing to a pipe.
 */
import { describe, expect, it } from "vitest";
import { createProgressView, progressFraction, progressLine } from "../../src/cli/render.js";
import type { ProgressSample } from "../../src/cli/run-demo.js";

const sample = (sent: number, elapsedMs: number): ProgressSample => ({
  elapsedMs,
  sent,
  eventsPerSecond: 10,
  inFlight: 0,
  delivered: 1,
  filtered: 0,
  failed: 0,
});

describe("demo progress bar", () => {
  it("shows the nearer of the two budgets as a bar and a percentage", () => {
    const limits = { events: 1000, seconds: 100 };
    expect(progressFraction(sample(250, 10_000), limits)).toBe(0.25);
    expect(progressFraction(sample(100, 50_000), limits)).toBe(0.5);
    expect(progressFraction(sample(5000, 0), limits)).toBe(1);
    expect(progressLine(sample(250, 10_000), limits)).toMatch(/^\[#{5}-{15}\] {2}25% /);
    expect(progressLine(sample(250, 10_000))).not.toContain("[");
  });

  it("prints one line per sample, with the bar, to a pipe", () => {
    const lines: string[] = [];
    const pipe = { isTTY: false, write: (text: string) => lines.push(text) } as unknown as NodeJS.WriteStream;
    const view = createProgressView(pipe, { events: 100, seconds: 60 });
    view.update(sample(100, 1000));
    view.done();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[#{20}\] 100% .*\n$/);
  });
});
