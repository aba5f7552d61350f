/**
 * The demo (src/cli/run-demo.ts, src/cli/demo-command.ts) and the built `neurobus` CLI: runDemo
 * sends exactly the events asked for and its report adds up against the bus (matched, filtered,
 * failed, once, history queries, self-checks, same seed same mix); the CLI's help, a JSON run,
 * usage errors (exit status 2) and npm start's table output.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { matchesPattern } from "../../src/index.js";
import { parseDemoArgs } from "../../src/cli/demo-command.js";
import { runDemo, type DemoReport, type ProgressSample } from "../../src/cli/run-demo.js";
import { CLI, exitOf } from "../support/cli.js";

const cli = CLI;
const demoEntry = fileURLToPath(new URL("../../dist/src/cli/demo.js", import.meta.url));

/** The demo's subscriptions, written out here so the test does not trust the demo's own list. */
const DEMO_PATTERNS = [
  "*",
  "task.*",
  "work*",
  "ag*",
  "agent.heartbeat",
  "*.failed",
  "storage.*",
  "storage.retrieved",
  "agent.registered",
  "compression.started",
];
const FAILED_TYPES = ["task.failed", "workflow.failed", "agent.failed"];
/** Far past any test timeout: these runs end by their event count. */
const UNBOUNDED_SECONDS = 3600;

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

describe("runDemo", () => {
  const EVENTS = 3000;
  let report: DemoReport;
  const samples: ProgressSample[] = [];

  beforeAll(async () => {
    report = await runDemo({ events: EVENTS, seconds: UNBOUNDED_SECONDS, onProgress: (s) => samples.push(s) });
  });

  it("sends exactly the requested number of events and the bus counts each once", () => {
    expect(report.stoppedBy).toBe("events");
    expect(report.sent.total).toBe(EVENTS);
    expect(report.sent.awaited + report.sent.burst + report.sent.batched).toBe(EVENTS);
    // All three ways of emitting were used.
    expect(report.sent.awaited).toBeGreaterThan(0);
    expect(report.sent.burst).toBeGreaterThan(0);
    expect(report.sent.batched).toBeGreaterThan(0);
    expect(report.stats.totalEventsEmitted).toBe(EVENTS);
    expect(sum(Object.values(report.stats.eventCounts))).toBe(EVENTS);
    expect(report.handlers.all).toBe(EVENTS);
  });

  it("matched is what the patterns imply, and delivered + filtered + failed = matched", () => {
    const counts = report.stats.eventCounts;
    const registered = counts["agent.registered"] ?? 0;
    let expected = 0;
    for (const [type, count] of Object.entries(counts)) {
      expected += count * DEMO_PATTERNS.filter((p) => matchesPattern(p, type)).length;
    }
    // The once subscription is gone after the first agent.registered.
    expected -= Math.max(0, registered - 1);
    const r = report.results;
    expect(r.matched).toBe(expected);
    expect(r.delivered + r.filtered + r.failed).toBe(r.matched);
    expect(report.stats.delivered).toBe(r.delivered);
    expect(report.stats.filteredOut).toBe(r.filtered);
    expect(report.stats.failed).toBe(r.failed);
    expect(report.stats.inFlight).toBe(0);
  });

  it("the critical-only filter turned away exactly the non-critical failures", () => {
    const failures = sum(FAILED_TYPES.map((t) => report.stats.eventCounts[t] ?? 0));
    expect(failures).toBeGreaterThan(report.handlers.criticalFailures);
    expect(report.results.filtered).toBe(failures - report.handlers.criticalFailures);
  });

  it("counts every throw of the flaky handler as failed and reports it to onError", () => {
    expect(report.handlers.checksumThrows).toBeGreaterThan(0);
    expect(report.results.failed).toBe(report.handlers.checksumThrows);
    expect(report.errors.reported).toBe(report.handlers.checksumThrows);
    expect(report.errors.byCode).toEqual({ EBUS_HANDLER_FAILED: report.handlers.checksumThrows });
    expect(report.rejectedEmits).toBe(0);
    // The other handlers of the same events still ran.
    expect(report.handlers.storage.retrieved).toBe(report.stats.eventCounts["storage.retrieved"]);
  });

  it("runs the once handler once although every agent registered", () => {
    expect(report.handlers.agents.registered).toBe(report.agents);
    expect(report.handlers.onceRuns).toBe(1);
  });

  it("answers the history queries from the bus's history", () => {
    const failed = report.history.find((a) => a.query.pattern === "*.failed");
    expect(failed).toBeDefined();
    expect(failed!.events.length).toBeLessThanOrEqual(3);
    for (const e of failed!.events) expect(e.eventType.endsWith(".failed")).toBe(true);
    const agent3 = report.history.find((a) => a.query.source === "agent-3");
    for (const e of agent3!.events) expect(e.source).toBe("agent-3");
  });

  it("marks every self-check as passed and sends a final progress sample", () => {
    expect(Object.values(report.checks).every(Boolean)).toBe(true);
    expect(samples.at(-1)?.sent).toBe(EVENTS);
  });

  it("replays the same event mix for the same seed", async () => {
    const again = await runDemo({ events: EVENTS, seconds: UNBOUNDED_SECONDS });
    expect(again.stats.eventCounts).toEqual(report.stats.eventCounts);
    expect(again.handlers.checksumThrows).toBe(report.handlers.checksumThrows);
  });

  it("rejects a non-positive event count", async () => {
    await expect(runDemo({ events: 0 })).rejects.toThrow(RangeError);
    expect(() => parseDemoArgs(["--events", "1.5"])).toThrow(RangeError);
    expect(() => parseDemoArgs(["--seconds", "0"])).toThrow(RangeError);
    expect(parseDemoArgs(["--events", "10_000", "--json"])).toEqual({
      help: false,
      json: true,
      events: 10_000,
      seconds: 10,
    });
  });
});

describe("neurobus CLI (built)", () => {
  it("prints its usage with --help and exits 0", async () => {
    const { code, stdout } = await exitOf([cli, "--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/neurobus <command>/);
    expect(stdout).toMatch(/\bdemo\b/);
    expect(stdout).toMatch(/\bbench\b/);
    // The demo's options are the demo's: the top-level usage does not list them as its own.
    expect(stdout).not.toMatch(/--seconds S/);
    const demo = await exitOf([cli, "demo", "--help"]);
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(/--seconds S/);
  });

  it("runs `demo --events 2000 --json` and prints a report that adds up", async () => {
    const { code, stdout, stderr } = await exitOf([cli, "demo", "--events", "2000", "--json"]);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as DemoReport;
    expect(report.sent.total).toBe(2000);
    expect(report.stats.totalEventsEmitted).toBe(2000);
    const r = report.results;
    expect(r.delivered + r.filtered + r.failed).toBe(r.matched);
    expect(report.errors.reported).toBe(r.failed);
    expect(report.handlers.onceRuns).toBe(1);
    expect(Object.values(report.checks).every(Boolean)).toBe(true);
    // The progress line goes to stderr, never into the JSON.
    expect(stderr).toMatch(/2,000 events/);
  });

  it("exits 2 on an unknown command or option", async () => {
    expect((await exitOf([cli, "frobnicate"])).code).toBe(2);
    const bogus = await exitOf([cli, "demo", "--bogus"]);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/^neurobus demo: Unknown option '--bogus'/);
    expect((await exitOf([demoEntry, "--events", "-5"])).code).toBe(2);
    for (const events of ["0x10", "9007199254740993", "1.5"]) {
      const bad = await exitOf([cli, "demo", "--events", events]);
      expect(bad.code, events).toBe(2);
      expect(bad.stderr).toMatch(/^neurobus demo: --events must be a positive integer/);
    }
  });

  it("ends quietly when the reader of its output goes away (EPIPE), with no stack trace", async () => {
    for (const args of [
      [cli, "demo", "--events", "20000", "--json"],
      [demoEntry, "--events", "20000"],
    ]) {
      const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout.destroy(); // the reader leaves before the report is written
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      expect(code, stderr).toBe(0);
      expect(stderr).not.toMatch(/EPIPE|Unhandled 'error'/);
    }
  });

  it("npm start's entry prints the report as tables", async () => {
    const { code, stdout } = await exitOf([demoEntry, "--events", "500"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Throughput/);
    expect(stdout).toMatch(/Handler latency/);
    expect(stdout).not.toMatch(/\bNO\b/);
  });
});
