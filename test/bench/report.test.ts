/**
 * The benchmark's HTML report (bench/report/): one self-contained document (no script, no
 * external style, font or image), a chart per figure with labelled axes, the table and advice as
 * text, the markdown subset; and the document rendered in headless Chromium (skipped where none
 * is installed, except under CI=true, where it must run).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { HandlerResults, HandlerRun } from "../../bench/handler/result.js";
import { handlerReportHtml } from "../../bench/report/handler-report.js";
import { markdownToHtml } from "../../bench/report/html.js";
import { dumpDom, findChromium, screenshot } from "../../bench/screenshot.js";

function run(
  mode: "inline" | "offload",
  threads: number,
  eventsPerSec: number,
  delayMs: number,
  samples: number,
): HandlerRun {
  return {
    mode,
    threads,
    events: 2000,
    eventsPerSec,
    latencyMs: { p50: 0.2 * (threads + 1), p90: 0.5, p99: 2, p999: 9, max: 40 },
    eventLoopDelayP99Ms: delayMs,
    eventLoopDelaySamples: samples,
    eventLoopDelayTooFewSamples: samples < 20,
    mainThreadUsPerEvent: 12,
    cpuCores: 1.2,
    failed: 0,
    firstError: null,
    rounds: 3,
    perRound: {
      eventsPerSec: [eventsPerSec * 0.9, eventsPerSec, eventsPerSec * 1.1],
      latencyP50Ms: [0.2, 0.2, 0.3],
      latencyP99Ms: [2, 2, 3],
      eventLoopDelayP99Ms: [delayMs, delayMs, delayMs],
      mainThreadUsPerEvent: [12, 12, 13],
    },
  };
}

const RESULTS: HandlerResults = {
  handler: "./hash.mjs#work <&>",
  node: "v20.0.0",
  cpus: 2,
  package: "0.1.0",
  type: "bench.event",
  loop: "closed",
  window: 256,
  rate: null,
  warmupEvents: 200,
  rounds: 3,
  date: "2026-01-01T00:00:00.000Z",
  runs: [run("inline", 0, 950, 270, 9), run("offload", 1, 930, 4, 1500), run("offload", 2, 1750, 6, 1300)],
  recommendation: { mode: "offload", threads: 2, reason: "offload with 2 threads: 1.8x the inline rate" },
};

/** The <svg> elements of a document (the report's charts are never nested). */
function svgs(html: string): string[] {
  return html.match(/<svg\b[\s\S]*?<\/svg>/g) ?? [];
}

/** Checks that every tag of an SVG fragment is closed in order (it is XML). @returns the tag names opened. */
function balancedTags(svg: string): string[] {
  const stack: string[] = [];
  const opened: string[] = [];
  for (const [, close, name, , selfClosing] of svg.matchAll(
    /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>/g,
  )) {
    if (close === "/") expect(stack.pop(), `</${name}>`).toBe(name);
    else if (selfClosing !== "/") {
      stack.push(name!);
      opened.push(name!);
    }
  }
  expect(stack).toEqual([]);
  return opened;
}

function axisLabels(svg: string): { x: string; y: string } {
  const text = (cls: string): string =>
    new RegExp(`<text[^>]*class="axis-label ${cls}"[^>]*>([^<]+)</text>`).exec(svg)?.[1] ?? "";
  return { x: text("x-label"), y: text("y-label") };
}

describe("the HTML report", () => {
  const html = handlerReportHtml(RESULTS);

  it("is one self-contained document: no script, no external style, font or image", () => {
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith("</html>")).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\((?!#)|\bsrc=|href="http/i);
    // Text from the command line is escaped.
    expect(html).toContain("./hash.mjs#work &lt;&amp;&gt;");
  });

  it("holds one chart per figure, each with labelled axes", () => {
    const charts = svgs(html);
    expect(charts).toHaveLength(3);
    const titles = charts.map((svg) => /<title>([^<]+)<\/title>/.exec(svg)?.[1]);
    expect(titles).toEqual([
      "Throughput by mode and thread count",
      "Emit-to-done latency percentiles by mode",
      "Main-thread event-loop delay p99 by mode",
    ]);
    for (const svg of charts) {
      expect(balancedTags(svg)).toContain("svg");
      const { x, y } = axisLabels(svg);
      expect(x.length).toBeGreaterThan(3);
      expect(y).toBe("mode (threads)");
      // One bar group per mode, named on the category axis.
      for (const label of ["inline", "offload ×1", "offload ×2"]) expect(svg).toContain(`>${label}`);
    }
    expect(axisLabels(charts[0]!).x).toBe("events per second");
    expect(axisLabels(charts[1]!).x).toBe("latency, milliseconds (log scale)");
    // The delay measured on too few samples is marked, not drawn as a plain figure.
    expect(charts[2]).toMatch(/inline \(9 samples\)/);
    expect(charts[2]).toMatch(/270 ms \(too few samples\)/);
  });

  it("gives the table and the advice as text", () => {
    expect(html).toContain(
      '<p class="advice"><strong>Advice:</strong> offload with 2 threads: 1.8x the inline rate.</p>',
    );
    expect(html).toMatch(/<table><thead><tr><th>mode<\/th><th class="num">events<\/th>/);
    expect(html).toMatch(/<td>offload ×2<\/td><td class="num short">2,000<\/td><td class="num short">1\.8 k\/s<\/td>/);
    expect(html).toContain("too few samples (9) to mean anything");
  });

  it("converts the markdown subset the benchmark prints", () => {
    expect(markdownToHtml("### T\n\n| a | b |\n| --- | ---: |\n| `x` | 1 |\n\n- one **two**\n")).toBe(
      '<h4>T</h4>\n<div class="table-scroll"><table><thead><tr><th>a</th><th class="num">b</th></tr></thead><tbody><tr><td><code>x</code></td><td class="num short">1</td></tr></tbody></table></div>\n<ul><li>one <strong>two</strong></li></ul>',
    );
  });

  it("renders in headless Chromium (skipped where none is installed, except under CI)", (ctx) => {
    const chromium = findChromium();
    if (chromium === null) {
      if (process.env["CI"] === "true")
        throw new Error("Chromium is missing under CI=true: .ci/run installs it (apt-get install chromium)");
      ctx.skip(
        "no Chromium installed (Debian: apt-get install chromium); the report's structure is still checked above",
      );
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "bench-report-"));
    const file = join(dir, "report.html");
    writeFileSync(file, html);
    const dom = dumpDom(chromium, file);
    // The browser built the same three charts, with their axis labels.
    expect(svgs(dom)).toHaveLength(3);
    expect(dom).toContain("events per second");
    expect(dom).toContain("latency, milliseconds (log scale)");
    const png = join(dir, "report.png");
    screenshot(chromium, file, png, "1100,1600");
    const bytes = readFileSync(png);
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // Width and height from the IHDR chunk: the window size asked for.
    expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([1100, 1600]);
  }, 120_000);
});
